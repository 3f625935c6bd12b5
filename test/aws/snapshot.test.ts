import * as path from 'node:path';
import { describe, it, expect } from 'vitest';
import { synthAws } from './fixture';

describe('AWS stack snapshot', () => {
  it('matches the snapshot (chart paths made relative to the repository)', () => {
    const root = path.resolve(__dirname, '..', '..');
    expect(synthAws().text.split(root).join('<repo>')).toMatchSnapshot();
  });
});
