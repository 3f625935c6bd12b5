import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { App, TerraformStack } from '../../lib/core/cdktf';
import { MlopsPlatform } from '../../lib';

/** Kubernetes names are claimed per stack: one app may hold the same platform twice (staging, production). */
describe('claimKubernetesName', () => {
  const twice = (sameStack: boolean) => {
    const app = new App({ outdir: mkdtempSync(join(tmpdir(), 'names-')) });
    const a = new TerraformStack(app, 'staging');
    const b = sameStack ? a : new TerraformStack(app, 'production');
    new MlopsPlatform(a, 'P').addModel('Churn', { model: 'models:/churn@champion' });
    new MlopsPlatform(b, sameStack ? 'Q' : 'P').addModel('Churn', { model: 'models:/churn@champion' });
  };

  it('the same model in two stacks of one app is fine', () => {
    expect(() => twice(false)).not.toThrow();
  });

  it('the same model twice in one stack and namespace is refused', () => {
    expect(() => twice(true)).toThrow(/already has a/);
  });
});
