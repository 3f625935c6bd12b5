import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { App } from '../../lib/core/cdktf';
import { formatProblem, loadSpec, specStacks, validateSpec } from '../../lib';
import { synthApp } from '../support/app-synth';

/** An app whose stacks are built, never synthesized (App creates its empty outdir). */
const scratchApp = () => new App({ outdir: mkdtempSync(join(tmpdir(), 'spec-app-')) });

/** The README's platform spec is synthesized through the app (validations on), and its commands say what they do. */
const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
const section = readme.slice(readme.indexOf('## Platform spec'), readme.indexOf('## Running on AWS'));
const spec = /```yaml\n([\s\S]*?)```/.exec(section)![1]!;

describe('README: Platform spec', () => {
  it('synthesizes its spec, one stack per environment', () => {
    const stacks = synthApp((app) => specStacks(app, loadSpec('platform.yaml', spec)));
    expect(Object.keys(stacks).sort()).toEqual(['mlops-production', 'mlops-staging']);
    expect(section).toContain('stacks mlops-staging, mlops-production');
    expect(JSON.stringify(stacks['mlops-staging']!.json)).toContain('mlflow.staging.example.com');
    expect(JSON.stringify(stacks['mlops-staging']!.json)).not.toContain('pagerduty');
  });

  it('shows the error validate prints for minReplicas: 0', () => {
    const shown = /# exit 1 with: (.*)$/m.exec(section)![1]!;
    const problems = validateSpec(scratchApp(), 'platform.yaml', spec.replace('minReplicas: 2', 'minReplicas: 0'));
    expect(problems.map(formatProblem)).toEqual([shown]);
  });

  it('names the commands of the CLI', () => {
    for (const command of ['npx cdktf-mlops validate platform.yaml', 'npx cdktf-mlops schema', 'npx cdktf synth --app "npx cdktf-mlops synth platform.yaml"']) expect(section).toContain(command);
  });
});
