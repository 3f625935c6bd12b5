import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect } from 'vitest';
import { TerraformStack } from '../../lib/core/cdktf';
import { addAllFeaturesPlatform } from '../support/all-features';
import { synthApp, synthExample } from '../support/app-synth';
import { CHECKOV, requireCheckov } from '../support/python-tools';
import { itWithTool } from '../support/tools';

// checkov (from PyPI, installed by scripts/ci/real-tools.sh) over every example's cdk.tf.json and a
// platform with every feature on, with the project's .checkov.yaml: each skip there carries its reason.
const ROOT = resolve(__dirname, '../..');

describe('checkov', () => {
  itWithTool(requireCheckov(), 'finds no failed check in the examples and the all-features platform', () => {
    const dir = mkdtempSync(join(tmpdir(), 'checkov-'));
    const stacks = {
      local: synthExample('local')['mlops-local'].json,
      aws: synthExample('aws', { MLOPS_STATE_BUCKET: 'acme-tf-state' })['mlops-aws'].json,
      'spec-fleet-production': synthExample('spec')['fleet-production'].json,
      'all-features': synthApp((app) => { addAllFeaturesPlatform(new TerraformStack(app, 'all-features')); })['all-features'].json,
    };
    const files = Object.entries(stacks).map(([name, json]) => {
      const file = join(dir, `${name}.tf.json`);
      writeFileSync(file, JSON.stringify(json));
      return file;
    });
    const run = spawnSync(CHECKOV, ['--config-file', join(ROOT, '.checkov.yaml'), '-o', 'json', ...files.flatMap((f) => ['-f', f])], {
      encoding: 'utf8',
      maxBuffer: 256 << 20,
      env: { ...process.env, BC_SKIP_MAPPING: 'TRUE' },
    });
    const reports = [JSON.parse(run.stdout)].flat() as any[];
    const failed = reports.flatMap((r) => r.results?.failed_checks ?? []).map((f: any) => `${f.check_id} ${f.check_name}: ${f.resource} (${f.file_path})`);
    expect(failed).toEqual([]);
    const summary = reports.find((r) => r.check_type === 'terraform_json')?.summary;
    expect(summary.parsing_errors).toBe(0);
    // checkov saw the Kubernetes and AWS resources: hundreds of checks passed
    expect(summary.passed).toBeGreaterThan(300);
  }, 300_000);
});
