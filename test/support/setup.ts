import { expect } from 'vitest';
import { setupCdktfMatchers } from '../../lib/testing';

setupCdktfMatchers(expect);
process.env.CHECKPOINT_DISABLE = '1';
