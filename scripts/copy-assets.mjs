// Copies the non-TypeScript files the library ships (programs mounted into pods,
// local Helm charts) from lib/ to dist/, keeping their relative paths, so
// readScript() and chart paths resolve the same from lib/ and dist/.
import { cpSync, existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const lib = join(root, 'lib');
const dist = join(root, 'dist');
let copied = 0;

function walk(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (!statSync(path).isDirectory()) continue;
    if (name === 'scripts' || name === 'charts') {
      cpSync(path, join(dist, relative(lib, path)), {
        recursive: true,
        filter: (src) => !src.includes('__pycache__'),
      });
      copied++;
    } else {
      walk(path);
    }
  }
}

if (!existsSync(dist)) throw new Error('dist/ does not exist: run tsc first');
walk(lib);
console.log(`copied ${copied} asset folder(s) to dist/`);
