import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/** The `cdktf-mlops` command as a process (its source entry; the installed bin runs in test/package/tarball.test.ts). */
const ROOT = resolve(__dirname, '../..');
/** Each test runs whole apps as processes: minutes on a loaded 2-core machine. */
const SLOW = 240_000;
const cli = (...args: string[]) => spawnSync(join(ROOT, 'node_modules', '.bin', 'tsx'), [join(ROOT, 'lib/spec/bin.ts'), ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, CHECKPOINT_DISABLE: '1' } });

describe('cdktf-mlops', () => {
  it('validate: exit 0 for the example specs', () => {
    const res = cli('validate', 'examples/spec/local.yaml', 'examples/spec/fleet.yaml');
    expect(res.stderr).toBe('');
    expect(res.stdout).toBe('examples/spec/local.yaml: valid\nexamples/spec/fleet.yaml: valid\n');
    expect(res.status).toBe(0);
  }, SLOW);

  it('validate: exit 1 with file:line:column: path: value and what is allowed', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'cli-')), 'bad.yaml');
    writeFileSync(file, 'namespace: mlops\nmodels:\n  Churn:\n    serving:\n      model: models:/churn@champion\n      canary: { weight: 150 }\n');
    const res = cli('validate', file);
    expect(res.status).toBe(1);
    expect(res.stderr).toBe(`${file}:6:25: models.Churn.serving.canary.weight: got 150; must be between 0 and 100 (percent of requests)\n`);
  }, SLOW);

  it('schema: prints the JSON Schema', () => {
    const res = cli('schema');
    expect(res.status).toBe(0);
    expect(JSON.parse(res.stdout)).toMatchObject({ $schema: 'https://json-schema.org/draft/2020-12/schema', title: 'cdktf-mlops platform spec' });
  }, SLOW);

  it('exit 2 with the usage for an unknown command or a missing file', () => {
    expect(cli('deploy').status).toBe(2);
    expect(cli('deploy').stderr).toMatch(/^usage: cdktf-mlops <command>/);
    const missing = cli('validate', 'no-such.yaml');
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/ENOENT.*no-such\.yaml/);
  }, SLOW);
});
