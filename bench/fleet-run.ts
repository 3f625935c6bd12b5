/**
 * One measurement in a fresh process (so peak memory and GC belong to it), printing one JSON line:
 * - `tsx bench/fleet-run.ts library <models> <counts.json> [app|testing]`: construct + synth the fleet, and
 *   write the resource and data-source addresses it produced to counts.json;
 * - `tsx bench/fleet-run.ts raw <models> <counts.json> [app|testing]`: construct + synth the same resources in raw cdktf;
 * - `tsx bench/fleet-run.ts same-content <models> <counts.json> [app|testing]`: the same resources in raw cdktf, each
 *   with the library's synthesized body (the library run writes the bodies to <counts.json>.bodies).
 *
 * The synthesis path:
 * - `app` (default): what `cdktf synth` and `cdktf deploy` run, `app.synth()` with cdktf's validations on. It
 *   resolves every element twice (a preparing pass, then the output) and writes cdk.tf.json, whose bytes are
 *   the ones reported.
 * - `testing`: what snapshot tests run, `Testing.synth(stack)`. It resolves once, then rebuilds every object
 *   key by key to sort it (quadratic in the keys of an object: every resource type holds one key per
 *   resource), which costs the minimal-props baseline far more than its own configuration does.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Testing, type App, type TerraformStack } from '../lib/core/cdktf';
import { benchApp, fleetApp, rawApp, sizes } from './fleet';

const [mode, n, countsFile, path] = [process.argv[2], Number(process.argv[3]), process.argv[4]!, process.argv[5] ?? 'app'];
if (path !== 'app' && path !== 'testing') throw new Error(`unknown synthesis path ${path}: app or testing`);

/**
 * Constructs `build`'s stack and synthesizes it the chosen way: the JSON text cdktf produced, the
 * wall time both took (and of it, the construction's: `constructMs`), and the CPU time the process
 * spent meanwhile (all its threads, V8's GC helpers included): time this process was not given a
 * core counts in the wall time and not in the CPU time.
 */
function synth(build: (app: App) => { stack: TerraformStack }): { text: string; ms: number; constructMs: number; cpuMs: number } {
  const cpuStart = process.cpuUsage();
  const cpuMs = () => { const c = process.cpuUsage(cpuStart); return (c.user + c.system) / 1000; };
  if (path === 'testing') {
    const start = performance.now();
    const { stack } = build(benchApp());
    const constructMs = performance.now() - start;
    const text = Testing.synth(stack);
    return { text, ms: performance.now() - start, constructMs, cpuMs: cpuMs() };
  }
  const outdir = mkdtempSync(join(tmpdir(), 'mlops-fleet-'));
  try {
    const start = performance.now();
    const app = benchApp(outdir);
    build(app);
    const constructMs = performance.now() - start;
    app.synth();
    const ms = performance.now() - start;
    const cpu = cpuMs();
    return { text: readFileSync(join(outdir, 'stacks', 'fleet', 'cdk.tf.json'), 'utf8'), ms, constructMs, cpuMs: cpu };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

// Warm-up in every mode: module loading and JIT are not part of the figure.
const warm = JSON.parse(synth((app) => fleetApp(1, app)).text);
const count = (json: { resource: Record<string, object> }) => Object.values(json.resource).reduce((k, v) => k + Object.keys(v).length, 0);
const peakMB = () => process.resourceUsage().maxRSS / 1024;
if (mode === 'raw' || mode === 'same-content') {
  const same = mode === 'same-content';
  synth((app) => rawApp(warm, same, app));
  const json = JSON.parse(readFileSync(same ? `${countsFile}.bodies` : countsFile, 'utf8'));
  const { text, ms, constructMs, cpuMs } = synth((app) => rawApp(json, same, app));
  console.log(JSON.stringify({ mode, path, n, ms, constructMs, cpuMs, resources: count(JSON.parse(text)), bytes: text.length, peakRssMB: peakMB() }));
} else {
  const { text, ms, constructMs, cpuMs } = synth((app) => fleetApp(n, app));
  const json = JSON.parse(text);
  const addresses = (sets: Record<string, object> = {}) => Object.fromEntries(Object.entries(sets).map(([t, v]) => [t, Object.fromEntries(Object.keys(v).map((id) => [id, {}]))]));
  writeFileSync(countsFile, JSON.stringify({ resource: addresses(json.resource), data: addresses(json.data) }));
  writeFileSync(`${countsFile}.bodies`, JSON.stringify({ resource: json.resource, data: addresses(json.data) }));
  console.log(JSON.stringify({ mode, path, n, ms, constructMs, cpuMs, resources: count(json), ...sizes(text), peakRssMB: peakMB() }));
}
