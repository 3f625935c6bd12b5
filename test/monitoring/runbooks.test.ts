import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ALERTS } from '../../lib/monitoring/alert-rules';

describe('docs/runbooks.md', () => {
  const doc = readFileSync(join(__dirname, '..', '..', 'docs', 'runbooks.md'), 'utf8');
  const anchors = new Set([...doc.matchAll(/^## (\S+)\s*$/gm)].map((m) => m[1]!.toLowerCase()));
  it.each(Object.values(ALERTS))('has the runbook section every %s alert links to', (alert) => {
    expect(anchors.has(alert.toLowerCase())).toBe(true);
  });
});
