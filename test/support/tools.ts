import { execFileSync } from 'node:child_process';
import { it } from 'vitest';

/**
 * External tools (promtool, amtool, python3 modules, ...) the tests run. A
 * missing tool skips its tests with a visible reason locally, and fails them
 * in CI (`CI=true`), where .ci/run installs every tool.
 */
export interface ToolCheck {
  readonly available: boolean;
  /** Why the tool is unavailable, shown in the skip or failure. */
  readonly reason: string;
}

const cache = new Map<string, ToolCheck>();

/** Checks that `command --version` (or the given probe) runs. */
export function requireTool(command: string, probe: string[] = ['--version']): ToolCheck {
  const key = [command, ...probe].join(' ');
  let check = cache.get(key);
  if (!check) {
    try {
      execFileSync(command, probe, { stdio: 'pipe', timeout: 20_000 });
      check = { available: true, reason: '' };
    } catch (err) {
      check = { available: false, reason: `${key} failed: ${(err as Error).message.split('\n')[0]}` };
    }
    cache.set(key, check);
  }
  return check;
}

/** Python modules importable by Debian's python3 (/usr/bin/python3). */
export function requirePython(...modules: string[]): ToolCheck {
  return requireTool('/usr/bin/python3', ['-c', `import ${modules.join(', ')}`]);
}

export const inCi = process.env.CI === 'true';

/**
 * `it` that needs a tool: runs when available; otherwise skipped with the reason
 * locally, and failing with the reason in CI.
 */
export function itWithTool(check: ToolCheck, name: string, fn: () => void | Promise<void>, timeout?: number): void {
  if (check.available) {
    it(name, fn, timeout);
  } else if (inCi) {
    it(name, () => {
      throw new Error(`required tool missing in CI: ${check.reason}`);
    });
  } else {
    it.skip(`${name} [skipped: ${check.reason}]`, fn);
  }
}
