import { describe, expect, it } from 'vitest';
import { Testing } from '../../lib/core/cdktf';
import { LocalMlopsStack } from '../../examples/local/stack';

describe('examples/local', () => {
  it('synthesizes the embedded default stack (snapshot)', () => {
    const app = Testing.app({ stackTraces: false });
    const stack = new LocalMlopsStack(app, 'mlops-local');
    expect(JSON.parse(Testing.synth(stack))).toMatchSnapshot();
  });
});
