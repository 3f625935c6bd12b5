import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * The README's TypeScript blocks are what users copy: each is run as written,
 * with the package names pointed at this checkout. zod's strict objects make a
 * renamed or misspelled prop fail the run.
 */
const root = join(__dirname, '..', '..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
const work = mkdtempSync(join(root, 'test', 'docs', '.readme-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A block as a runnable module: imports resolved to this checkout, fragments given the names they assume. */
function runnable(block: string): string {
  const lib = JSON.stringify(join(root, 'lib'));
  const cdktf = JSON.stringify(join(root, 'lib', 'core', 'cdktf'));
  let code = block
    .replace(/from 'cdktf-mlops\/testing'/g, `from ${JSON.stringify(join(root, 'lib', 'testing'))}`)
    .replace(/from 'cdktf-mlops'/g, `from ${lib}`)
    .replace(/from 'cdktf'/g, `from ${cdktf}`);
  // Fragments (no imports of their own) run inside a stack, as the README's usage example builds one.
  if (!/^import /m.test(block)) {
    code = `import { App, S3Backend, TerraformStack } from ${cdktf};\nimport { MlopsPlatform } from ${lib};\n` +
      `const app = new App({ outdir: ${JSON.stringify(join(work, 'out'))} });\nconst stack = new TerraformStack(app, 'readme');\n` +
      `${code}\napp.synth();\n`;
  }
  // The fleet example runs with 20 models here (the same code path); `npm run bench` measures 1,000.
  code = code.replace(/^const MODELS = 1_000;$/m, 'const MODELS = 20;');
  return code.replace(/new App\(\)/g, `new App({ outdir: ${JSON.stringify(join(work, 'out'))} })`);
}

describe('README', () => {
  it('names the two setup commands the CI and fresh-clone check run', () => {
    expect(readme).toContain('npm ci && CHECKPOINT_DISABLE=1 npx cdktf synth');
    expect(readme).toMatch(/^npm test\s/m);
  });

  it('has TypeScript examples to check', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(4);
  });

  it.each(blocks.map((b, i) => [i, b.split('\n')[0]] as const))('runs TypeScript block %i (%s)', async (i) => {
    const file = join(work, `block-${i}.ts`);
    writeFileSync(file, runnable(blocks[i]!));
    // Test-helper examples use vitest's expect, which only exists inside a test run: import them here.
    if (/from 'vitest'/.test(blocks[i]!)) {
      await import(file);
      return;
    }
    const res = spawnSync(join(root, 'node_modules', '.bin', 'tsx'), [file], {
      cwd: work,
      encoding: 'utf8',
      timeout: 120_000,
      env: { ...process.env, CHECKPOINT_DISABLE: '1' },
    });
    expect(res.status, `${res.stdout}\n${res.stderr}`).toBe(0);
  });
});
