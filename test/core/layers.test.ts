import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, dirname } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * Layers point down only (docs/ARCHITECTURE.md): core at the bottom, the
 * capability layers in the middle, platform on top; and no import circle
 * inside a layer.
 */
const LIB = join(__dirname, '../../lib');
const RANK: Record<string, number> = { core: 0, cluster: 1, stores: 2, aws: 3, tracking: 3, monitoring: 3, training: 4, serving: 4, drift: 5, platform: 6, spec: 7, testing: 8 };

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) return f === 'scripts' || f === 'charts' ? [] : files(p);
    return p.endsWith('.ts') ? [p] : [];
  });
}
const imports = (file: string) =>
  [...readFileSync(file, 'utf8').matchAll(/^(?:import|export)[^;]*?from '(\.[^']+)'/gms)].map((m) => {
    const target = resolve(dirname(file), m[1]!);
    return relative(LIB, target.endsWith('.ts') ? target : `${target}.ts`).replace(/\.ts$/, '');
  });

describe('layers', () => {
  const all = files(LIB).filter((f) => !f.endsWith('index.ts') || f.includes('/monitoring/') || f.includes('/testing/'));
  it('every import points down or sideways within a layer', () => {
    const upward: string[] = [];
    for (const f of all) {
      const from = relative(LIB, f).split('/')[0]!;
      for (const to of imports(f)) {
        const layer = to.split('/')[0]!;
        if (RANK[layer] === undefined || RANK[from] === undefined) continue;
        if (RANK[layer]! > RANK[from]! || (RANK[layer] === RANK[from] && layer !== from)) upward.push(`${relative(LIB, f)} -> ${to}`);
      }
    }
    expect(upward).toEqual([]);
  });
  it('no import circle inside lib/training (props and job)', () => {
    const graph = new Map(all.map((f) => [relative(LIB, f).replace(/\.ts$/, ''), imports(f)]));
    const cycle = (start: string) => {
      const seen = new Set<string>();
      const walk = (n: string): boolean => (graph.get(n) ?? []).some((m) => m === start || (!seen.has(m) && (seen.add(m), walk(m))));
      return walk(start);
    };
    expect([...graph.keys()].filter((k) => k.startsWith('training/') && cycle(k))).toEqual([]);
  });
});
