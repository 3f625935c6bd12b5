import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Reads a program the library ships to pods (`lib/<area>/scripts/<file>`), so
 * the ConfigMap holds the very file that is tested, not a copy. Works from
 * `lib/` (tsx, tests) and from `dist/` (the build copies the scripts).
 */
export function readScript(area: string, file: string): string {
  return readFileSync(join(__dirname, '..', area, 'scripts', file), 'utf8');
}
