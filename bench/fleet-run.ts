/**
 * One measurement in a fresh process (so peak memory and GC belong to it), printing one JSON line:
 * - `tsx bench/fleet-run.ts library <models> <counts.json>`: construct + synth the fleet, and write
 *   the resource and data-source addresses it produced to counts.json;
 * - `tsx bench/fleet-run.ts raw <models> <counts.json>`: construct + synth the same resources in raw cdktf;
 * - `tsx bench/fleet-run.ts same-content <models> <counts.json>`: the same resources in raw cdktf, each
 *   with the library's synthesized body (the library run writes the bodies to <counts.json>.bodies).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { Testing } from '../lib/core/cdktf';
import { fleetApp, rawApp, sizes } from './fleet';

const [mode, n, countsFile] = [process.argv[2], Number(process.argv[3]), process.argv[4]!];
// Warm-up in both modes: module loading and JIT are not part of the figure.
const warm = JSON.parse(Testing.synth(fleetApp(1).stack));
const count = (text: string) => Object.values(JSON.parse(text).resource as Record<string, object>).reduce((k, v) => k + Object.keys(v).length, 0);
const peakMB = () => process.resourceUsage().maxRSS / 1024;
if (mode === 'raw' || mode === 'same-content') {
  const same = mode === 'same-content';
  Testing.synth(rawApp(warm, same).stack);
  const json = JSON.parse(readFileSync(same ? `${countsFile}.bodies` : countsFile, 'utf8'));
  const start = performance.now();
  const text = Testing.synth(rawApp(json, same).stack);
  const ms = performance.now() - start;
  console.log(JSON.stringify({ mode, n, ms, resources: count(text), bytes: text.length, peakRssMB: peakMB() }));
} else {
  const start = performance.now();
  const text = Testing.synth(fleetApp(n).stack);
  const ms = performance.now() - start;
  const json = JSON.parse(text);
  const addresses = (sets: Record<string, object> = {}) => Object.fromEntries(Object.entries(sets).map(([t, v]) => [t, Object.fromEntries(Object.keys(v).map((id) => [id, {}]))]));
  writeFileSync(countsFile, JSON.stringify({ resource: addresses(json.resource), data: addresses(json.data) }));
  writeFileSync(`${countsFile}.bodies`, JSON.stringify({ resource: json.resource, data: addresses(json.data) }));
  console.log(JSON.stringify({ mode, n, ms, resources: count(text), ...sizes(text), peakRssMB: peakMB() }));
}
