import { readFileSync } from 'node:fs';
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
 * A local Helm chart the library ships (`lib/<area>/charts/<name>`), copied
 * into the stack's output as a Terraform asset. Returns the chart path for
 * `helm_release.chart`, relative to the stack directory, so the synthesized
 * JSON does not depend on where the library is installed.
 */
export function localChart(scope: Construct, id: string, area: string, name: string): string {
  const asset = new TerraformAsset(scope, id, { path: join(__dirname, '..', area, 'charts', name), type: AssetType.DIRECTORY });
  return asset.path;
}
