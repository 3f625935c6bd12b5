import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { App } from '../../lib/core/cdktf';
import type { SynthesizedJson } from '../../lib/testing';

/** A stack as `cdktf synth` writes it: its directory (holding cdk.tf.json and the assets) and its JSON. */
export interface SynthesizedStack {
  readonly name: string;
  readonly dir: string;
  readonly json: SynthesizedJson;
}

const ROOT = resolve(__dirname, '../..');

/** Reads every stack of a cdktf output directory. */
export function readOutdir(outdir: string): Record<string, SynthesizedStack> {
  const stacks: Record<string, SynthesizedStack> = {};
  for (const name of readdirSync(join(outdir, 'stacks'))) {
    const dir = join(outdir, 'stacks', name);
    stacks[name] = { name, dir, json: JSON.parse(readFileSync(join(dir, 'cdk.tf.json'), 'utf8')) };
  }
  return stacks;
}

/**
 * Runs an example's app the way a user does (`npx tsx examples/<name>/main.ts`, which `cdktf synth`
 * runs): `app.synth()` with cdktf's validations on, into a fresh output directory.
 */
export function synthExample(name: string, env: Record<string, string> = {}): Record<string, SynthesizedStack> {
  const outdir = mkdtempSync(join(tmpdir(), `example-${name}-`));
  execFileSync('npx', ['tsx', join('examples', name, 'main.ts')], {
    cwd: ROOT,
    env: { ...process.env, CHECKPOINT_DISABLE: '1', CDKTF_OUTDIR: outdir, ...env },
    stdio: 'pipe',
  });
  return readOutdir(outdir);
}

/**
 * Builds stacks in a real `App` and synthesizes them with `app.synth()`, with cdktf's validations on,
 * as `cdktf synth` does; returns the written stacks.
 */
export function synthApp(build: (app: App) => void): Record<string, SynthesizedStack> {
  const outdir = mkdtempSync(join(tmpdir(), 'app-synth-'));
  const app = new App({ outdir, stackTraces: false });
  build(app);
  app.synth();
  return readOutdir(outdir);
}

/**
 * The JSON as a snapshot should hold it: without cdktf's `//` metadata (construct paths, which the
 * construct-id tests pin) and with this checkout's absolute path replaced, so snapshots match on every machine.
 */
export function snapshotView(json: SynthesizedJson): unknown {
  const text = JSON.stringify(json, (key, value) => (key === '//' ? undefined : value));
  return JSON.parse(text.split(ROOT).join('<root>'));
}
