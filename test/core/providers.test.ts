import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? tsFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

describe('random resources', () => {
  it('are created only through lib/core/providers.ts, which adds the random provider with them', () => {
    const lib = join(__dirname, '../../lib');
    const offenders = tsFiles(lib)
      .filter((f) => relative(lib, f) !== join('core', 'providers.ts'))
      .filter((f) => /from '@cdktf\/provider-random\/lib\/(?!password')/.test(readFileSync(f, 'utf8')) || /import \{[^}]*\bPassword\b[^}]*\} from '@cdktf\/provider-random/.test(readFileSync(f, 'utf8').replace(/import type \{[^}]*\}[^;]*;/g, '')));
    expect(offenders.map((f) => relative(lib, f))).toEqual([]);
  });
});
