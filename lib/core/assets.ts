import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Construct } from 'constructs';
import { AssetType, TerraformAsset } from './cdktf';

/**
 * Reads a program the library ships to pods (`lib/<area>/scripts/<file>`), so
 * the ConfigMap holds the very file that is tested, not a copy. Works from
 * `lib/` (tsx, tests) and from `dist/` (the build copies the scripts).
 */
export function readScript(area: string, file: string): string {
  return readFileSync(join(__dirname, '..', area, 'scripts', file), 'utf8');
}

/**
 * Every file of a program the library ships to pods, keyed by file name for a
 * ConfigMap's `data`: the entry file and the modules it imports from its own
 * `scripts/` directory, transitively (`drift_check.py` with its `drift_*.py`,
 * `promotion_gate.py` with its `gate_*.py`). Modules are flat files because a
 * ConfigMap key cannot contain `/`; they import each other by plain name
 * (python puts the script's directory on `sys.path`).
 */
export function programFiles(area: string, entry: string): Record<string, string> {
  const dir = join(__dirname, '..', area, 'scripts');
  const local = new Set(readdirSync(dir).filter((name) => name.endsWith('.py')));
  if (!local.has(entry)) throw new Error(`programFiles: ${area}/scripts/${entry} does not exist`);
  const files: Record<string, string> = {};
  const pending = [entry];
  while (pending.length > 0) {
    const name = pending.pop()!;
    if (name in files) continue;
    files[name] = readScript(area, name);
    for (const module of importedModules(files[name])) {
      if (local.has(`${module}.py`)) pending.push(`${module}.py`);
    }
  }
  return Object.fromEntries(Object.keys(files).sort().map((name) => [name, files[name]!]));
}

/** Top-level module names of `import a, b as c` and `from a import x` statements. */
function importedModules(source: string): string[] {
  const names: string[] = [];
  for (const m of source.matchAll(/^[ \t]*(?:import[ \t]+([\w., \t]+)|from[ \t]+(\w+)[\w.]*[ \t]+import\b)/gm)) {
    if (m[2]) names.push(m[2]);
    else for (const part of m[1]!.split(',')) names.push(part.trim().split(/[ \t.]/)[0]!);
  }
  return names;
}

/**
 * A local Helm chart the library ships (`lib/<area>/charts/<name>`), copied
 * into the stack's output as a Terraform asset. Returns the chart path for
 * `helm_release.chart`, relative to the stack directory, so the synthesized
 * JSON does not depend on where the library is installed.
 */
export function localChart(scope: Construct, id: string, area: string, name: string): string {
  const asset = new TerraformAsset(scope, id, { path: join(__dirname, '..', area, 'charts', name), type: AssetType.DIRECTORY });
  return asset.path;
}
