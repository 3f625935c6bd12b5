import { Testing } from '../lib/core/cdktf';
import { fleetApp } from './fleet';
// Bytes of each resource of model 5 as it sits in cdk.tf.json (pretty, at depth 3).
const text = Testing.synth(fleetApp(12).stack);
const json = JSON.parse(text);
const rows: [string, number][] = [];
for (const [t, v] of Object.entries(json.resource as Record<string, Record<string, unknown>>))
  for (const [id, r] of Object.entries(v)) {
    const s = JSON.stringify(r, null, 2).split('\n').map((l) => '      ' + l).join('\n');
    if (/M5_|0005/.test(id) || JSON.stringify(r).includes('model-0005')) rows.push([`${t}.${id}`, s.length]);
  }
rows.sort((a, b) => b[1] - a[1]);
console.log('model 5 total', (rows.reduce((a, r) => a + r[1], 0) / 1024).toFixed(1), 'KiB');
for (const [k, b] of rows) console.log((b / 1024).toFixed(2), k);
