import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** Where scripts/ci/real-tools.sh keeps the tools it builds, and tools.env naming them. */
export const TOOLS_HOME = process.env.MLOPS_TOOLS_HOME ?? join(homedir(), '.cache/cdktf-mlops/tools');

let fromFile: Record<string, string> | undefined;

/**
 * A path scripts/ci/real-tools.sh set up (MLOPS_TERRAFORM, MLOPS_HELM, ...): from the environment its
 * `eval` exported, else from the tools.env it wrote, so versions are pinned in that script alone.
 * Undefined when the script has not run.
 */
export function realToolPath(name: string): string | undefined {
  if (process.env[name]) return process.env[name];
  if (!fromFile) {
    const file = join(TOOLS_HOME, 'tools.env');
    fromFile = existsSync(file)
      ? Object.fromEntries(readFileSync(file, 'utf8').split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]))
      : {};
  }
  return fromFile[name];
}
