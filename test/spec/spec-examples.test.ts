import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resourcesOf } from '../../lib/testing';
import { readOutdir, synthExample, type SynthesizedStack } from '../support/app-synth';

/**
 * The spec examples run as cdktf runs an app: `cdktf synth --app "npx cdktf-mlops synth <file>"` sets
 * CDKTF_OUTDIR and runs the command, whose `app.synth()` has cdktf's validations on. Here the command is
 * the CLI's source entry (lib/spec/bin.ts through tsx), since this checkout is not installed as a
 * package; test/package/tarball.test.ts runs the installed `cdktf-mlops` under the real `cdktf synth`.
 */
const ROOT = resolve(__dirname, '../..');
/** Each test runs whole apps as processes: minutes on a loaded 2-core machine. */
const SLOW = 240_000;

function synthSpec(file: string, ...args: string[]): Record<string, SynthesizedStack> {
  const outdir = mkdtempSync(join(tmpdir(), 'spec-synth-'));
  execFileSync('npx', ['tsx', 'lib/spec/bin.ts', 'synth', file, ...args], { cwd: ROOT, env: { ...process.env, CHECKPOINT_DISABLE: '1', CDKTF_OUTDIR: outdir }, stdio: 'pipe' });
  return readOutdir(outdir);
}

const addresses = (stack: SynthesizedStack) =>
  Object.entries({ resource: stack.json.resource ?? {}, data: (stack.json as any).data ?? {} }).flatMap(([block, types]) =>
    Object.entries(types as Record<string, object>).flatMap(([type, byName]) => Object.keys(byName).map((name) => `${block === 'data' ? 'data.' : ''}${type}.${name}`)),
  ).sort();
const files = (dir: string): string[] => readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => relative(dir, join(e.parentPath, e.name))).sort();

/** A spec and its TypeScript twin: the same stack, the same addresses, the same JSON, the same assets. */
function expectTwins(spec: Record<string, SynthesizedStack>, ts: Record<string, SynthesizedStack>, name: string) {
  expect(Object.keys(spec)).toEqual([name]);
  expect(Object.keys(ts)).toEqual([name]);
  const [a, b] = [spec[name]!, ts[name]!];
  expect(addresses(a).length).toBeGreaterThan(50);
  expect(addresses(a)).toEqual(addresses(b));
  expect(a.json).toEqual(b.json);
  expect(files(a.dir)).toEqual(files(b.dir));
}

describe('the spec twins of the TypeScript examples', () => {
  it('examples/spec/local.yaml synthesizes what examples/local/main.ts does', () => {
    expectTwins(synthSpec('examples/spec/local.yaml'), synthExample('local'), 'mlops-local');
  }, SLOW);

  it('examples/spec/aws.yaml synthesizes what examples/aws/main.ts does', () => {
    expectTwins(synthSpec('examples/spec/aws.yaml'), synthExample('aws'), 'mlops-aws');
  }, SLOW);

  it('and with remote state: its state block is what MLOPS_STATE_BUCKET adds', () => {
    const text = readFileSync(join(ROOT, 'examples/spec/aws.yaml'), 'utf8');
    const withState = text.replace('  # state: { bucket: acme-tf-state }', '  state: { bucket: acme-tf-state }');
    expect(withState).not.toBe(text);
    const file = join(mkdtempSync(join(tmpdir(), 'spec-state-')), 'aws.yaml');
    writeFileSync(file, withState);
    expectTwins(synthSpec(file), synthExample('aws', { MLOPS_STATE_BUCKET: 'acme-tf-state' }), 'mlops-aws');
  }, SLOW);
});

describe('examples/spec/fleet.yaml', () => {
  const stacks = synthSpec('examples/spec/fleet.yaml');
  const deployments = (s: string) => resourcesOf(stacks[s]!.json, 'kubernetes_deployment_v1') as Record<string, any>;
  const hpa = (s: string, model: string) => Object.values(resourcesOf(stacks[s]!.json, 'kubernetes_horizontal_pod_autoscaler_v2') as Record<string, any>).find((h) => h.metadata.name === model);

  it('one stack per environment', () => {
    expect(Object.keys(stacks).sort()).toEqual(['fleet-production', 'fleet-staging']);
  }, SLOW);

  it('each environment with its own sizes, hosts, cluster, database profile and receivers', () => {
    expect(hpa('fleet-staging', 'fraud').spec.min_replicas).toBe(1);
    expect(hpa('fleet-production', 'fraud').spec.min_replicas).toBe(6);
    expect(hpa('fleet-production', 'fraud').spec.max_replicas).toBe(40);
    const tracking = (s: string) => Object.values(deployments(s)).find((d) => d.metadata.name === 'mlflow');
    expect(tracking('fleet-staging').spec.replicas).toBe('1');
    expect(tracking('fleet-production').spec.replicas).toBe('2');
    const text = (s: string) => JSON.stringify(stacks[s]!.json);
    expect(text('fleet-staging')).toContain('mlflow.staging.example.com');
    expect(text('fleet-production')).not.toContain('staging.example.com');
    const cluster = (s: string) => Object.values((stacks[s]!.json as any).data.aws_eks_cluster as Record<string, any>)[0].name;
    expect([cluster('fleet-staging'), cluster('fleet-production')]).toEqual(['ml-staging', 'ml-prod']);
    const db = (s: string) => Object.values(resourcesOf(stacks[s]!.json, 'aws_db_instance') as Record<string, any>)[0];
    expect([db('fleet-staging').multi_az, db('fleet-production').multi_az]).toEqual([false, true]);
    // Staging pages nobody: its Alertmanager has no PagerDuty receiver.
    expect(text('fleet-staging')).not.toContain('pagerduty');
    expect(text('fleet-production')).toContain('pagerduty');
  }, SLOW);

  it('--env picks one environment', () => {
    expect(Object.keys(synthSpec('examples/spec/fleet.yaml', '--env', 'staging'))).toEqual(['fleet-staging']);
  }, SLOW);
});

describe('examples/spec/main.ts', () => {
  it('synthesizes every spec example through the app (what the fresh-clone check runs)', () => {
    expect(Object.keys(synthExample('spec')).sort()).toEqual(['fleet-production', 'fleet-staging', 'mlops-aws', 'mlops-local']);
  }, SLOW);
});
