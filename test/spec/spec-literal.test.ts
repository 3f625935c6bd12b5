import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSpec, specStacks } from '../../lib';
import { synthApp } from '../support/app-synth';
import { realToolPath } from '../support/real-tools-env';

/**
 * Strings from a spec are literal: a hostile value in a YAML file reaches cdk.tf.json escapes
 * (`$${`), and the real Terraform CLI (scripts/ci/real-tools.sh) reads it back as written instead of
 * reading /etc/passwd.
 */
const EVIL = '${file("/etc/passwd")}';
const SPEC = `
monitoring:
  alerting:
    slack: { webhookUrl: { secretName: alerting, key: slack-url }, channel: '${EVIL}' }
models:
  Churn:
    training:
      name: churn
      image: ghcr.io/acme/churn-train:1.4.2
      command: [python, train.py, '${EVIL}']
      experimentName: '${EVIL}'
      env: { EVIL: '${EVIL}' }
    serving: { model: 'models:/churn@champion', env: { EVIL: '${EVIL}' } }
    drift: { model: churn, reference: a.parquet, current: logs/, features: [{ name: '${EVIL}' }] }
`;
const TF = realToolPath('MLOPS_TERRAFORM');

const strings = (v: unknown, out: string[] = []): string[] => {
  if (typeof v === 'string') out.push(v);
  else if (Array.isArray(v)) v.forEach((x) => strings(x, out));
  else if (v && typeof v === 'object') Object.values(v).forEach((x) => strings(x, out));
  return out;
};

describe('a hostile string in a spec', () => {
  const stacks = synthApp((app) => specStacks(app, loadSpec('hostile.yaml', SPEC)));
  const all = strings(stacks.mlops!.json);
  const escaped = '$' + EVIL; // Terraform's escape of `${`

  it('reaches cdk.tf.json escaped, never as an expression', () => {
    const carrying = all.filter((s) => s.includes('file(\\"/etc/passwd\\")') || s.includes('file("/etc/passwd")'));
    // env (training, model), command, experiment name, feature name (drift ConfigMap JSON), Slack channel (chart values)
    expect(carrying.length).toBeGreaterThanOrEqual(6);
    for (const s of carrying) expect(s.replaceAll('$${', ''), s).not.toContain('${file');
    expect(all).toContain(escaped);
  });

  it('has the real Terraform CLI in CI (scripts/ci/real-tools.sh builds it)', () => {
    if (process.env.CI === 'true') expect(TF && existsSync(TF), 'run scripts/ci/real-tools.sh').toBe(true);
  });

  it.runIf(TF && existsSync(TF))('the real Terraform CLI reads it back as written', () => {
    const dir = mkdtempSync(join(tmpdir(), 'spec-literal-'));
    const plain = all.filter((s) => s === escaped);
    expect(plain.length).toBeGreaterThan(0);
    writeFileSync(join(dir, 'main.tf.json'), JSON.stringify({ locals: { v: plain } }));
    const out = execFileSync(TF!, ['console'], { cwd: dir, input: 'jsonencode(local.v)\n', encoding: 'utf8', env: { ...process.env, TF_IN_AUTOMATION: '1', CHECKPOINT_DISABLE: '1' } });
    expect(JSON.parse(JSON.parse(out.trim()))).toEqual(plain.map(() => EVIL));
  });
});
