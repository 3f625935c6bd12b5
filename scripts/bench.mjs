// npm run bench: the project's performance figures.
// - drift check: time and peak memory on 1,000,000 rows x 20 features (targets 10 s, 500 MB on one core)
// - synthesis: time to synthesize one and twenty platforms, and their ratio
// Pass --quick for a small drift run.
import { spawnSync } from 'node:child_process';

const quick = process.argv.includes('--quick');
const python = process.env.MLOPS_PYTHON ?? '/usr/bin/python3';
let failed = false;

console.log('== drift check (bench/drift_bench.py)');
const drift = spawnSync(python, ['bench/drift_bench.py', ...(quick ? ['--rows', '100000'] : [])], { stdio: 'inherit' });
if (drift.status !== 0) {
  console.error(`drift bench failed (exit ${drift.status ?? drift.error}); it needs ${python} with numpy and pandas`);
  failed = true;
}

console.log('== synthesis (bench/synth-bench.ts)');
const synth = spawnSync('npx', ['tsx', 'bench/synth-bench.ts'], { stdio: 'inherit', env: { ...process.env, CHECKPOINT_DISABLE: '1' } });
if (synth.status !== 0) failed = true;
process.exit(failed ? 1 : 0);
