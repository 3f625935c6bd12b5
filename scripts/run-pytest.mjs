// Runs the tests of the Python programs the library ships to pods (promotion
// gate, drift check, ...) with Debian's python3 and its numpy/pandas/scipy/pytest.
// Missing locally: skipped with the reason. Missing in CI (CI=true): failure,
// since .ci/run installs them.
import { spawnSync } from 'node:child_process';

const python = process.env.MLOPS_PYTHON ?? '/usr/bin/python3';
const modules = ['pytest', 'numpy', 'pandas', 'scipy'];
const probe = spawnSync(python, ['-c', `import ${modules.join(', ')}`], { encoding: 'utf8' });
if (probe.status !== 0) {
  const reason = `${python} with ${modules.join(', ')} is not available (${(probe.stderr || String(probe.error ?? '')).trim().split('\n').pop()}); install python3-pytest python3-numpy python3-pandas python3-scipy`;
  if (process.env.CI === 'true') {
    console.error(`python tests: FAILED: ${reason}`);
    process.exit(1);
  }
  console.warn(`python tests: SKIPPED: ${reason}`);
  process.exit(0);
}
const run = spawnSync(python, ['-m', 'pytest', 'test/python', '-q', '-p', 'no:cacheprovider', ...process.argv.slice(2)], {
  stdio: 'inherit',
  env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
});
// pytest exits 5 when it collected nothing: a suite that runs no test is a failure here.
process.exit(run.status ?? 1);
