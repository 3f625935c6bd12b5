/**
 * One measurement in a fresh process (so peak memory and GC belong to it):
 * `tsx bench/fleet-run.ts <library|raw> <models>` prints one JSON line.
 * The raw run first synthesizes the library fleet (untimed) to copy its resource counts.
 */
import { Testing } from '../lib/core/cdktf';
import { fleetApp, rawApp, sizes } from './fleet';

const [mode, n] = [process.argv[2], Number(process.argv[3])];
if (mode === 'raw') {
  const json = JSON.parse(Testing.synth(fleetApp(n).stack));
  global.gc?.();
  const rssBefore = process.memoryUsage().rss;
  const start = performance.now();
  const text = Testing.synth(rawApp(json).stack);
  const ms = performance.now() - start;
  const resources = Object.values(JSON.parse(text).resource as Record<string, object>).reduce((k, v) => k + Object.keys(v).length, 0);
  console.log(JSON.stringify({ mode, n, ms, resources, bytes: text.length, rssMB: (process.memoryUsage().rss - rssBefore) / 2 ** 20 }));
} else {
  const start = performance.now();
  const text = Testing.synth(fleetApp(n).stack);
  const ms = performance.now() - start;
  const resources = Object.values(JSON.parse(text).resource as Record<string, object>).reduce((k, v) => k + Object.keys(v).length, 0);
  console.log(JSON.stringify({ mode, n, ms, resources, ...sizes(text), peakRssMB: process.resourceUsage().maxRSS / 1024 }));
}
