import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(__dirname, '../..');
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));

describe('README install line', () => {
  const install = readme.slice(readme.indexOf('Install with its peer dependencies'), readme.indexOf('## What gets created'));
  it('names everything a consumer needs for cdktf synth and the tests', () => {
    for (const tool of ['cdktf-cli', 'typescript', 'tsx', 'vitest', 'constructs']) expect(install).toContain(tool);
    for (const peer of Object.keys(pkg.peerDependencies)) expect(install).toContain(peer);
  });
  it('saves cdktf at exactly the version the peer dependency requires', () => {
    expect(install).toContain(`npm install --save-exact cdktf@${pkg.peerDependencies.cdktf}`);
    expect(pkg.peerDependencies.cdktf).toMatch(/^\d+\.\d+\.\d+$/);
  });
});
