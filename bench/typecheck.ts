/**
 * Consumer type-check: a 20-line app using MlopsPlatform against a bare app
 * that deep-imports one resource of each provider, both against the built
 * package (`dist/`, run `npm run build` first), with the cdktf project
 * template's compiler settings: wall clock and the type-checker's own CPU time
 * (the machine is shared; the wall clock counts the other processes too). Also
 * counts errors in our published typings with `skipLibCheck: false`, under the
 * template's settings and `module: node16`.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(__dirname, '..');
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
const template = JSON.parse(readFileSync(join(root, 'node_modules/cdktf-cli/bundle/templates/typescript/tsconfig.json'), 'utf8')).compilerOptions;

const APP = `import { App, TerraformStack } from 'cdktf';
import { MlopsPlatform } from 'cdktf-mlops';

const app = new App();
const stack = new TerraformStack(app, 'mlops');
const platform = new MlopsPlatform(stack, 'Platform', {
  namespace: 'mlops',
  kubeconfig: { configPath: '~/.kube/config', context: 'kind-mlops' },
});
const training = platform.addTrainingJob('Churn', {
  name: 'churn', image: 'ghcr.io/acme/churn-train:1.4.2', command: ['python', 'train.py'],
  model: 'churn', schedule: '0 0 * * 0',
  promotionGate: { metric: 'val_auc', direction: 'higher_is_better', threshold: 0.85 },
});
platform.addModel('Churn', { model: 'models:/churn@champion', minReplicas: 2, maxReplicas: 10 });
platform.addDriftMonitor('Churn', {
  model: 'churn', reference: 'datasets/churn/reference.parquet', current: 'inference-logs/churn/',
  features: [{ name: 'tenure_months' }], retrain: { trainingJob: training },
});
app.synth();
`;

const BARE = `import { App, TerraformStack } from 'cdktf';
import { NamespaceV1 } from '@cdktf/provider-kubernetes/lib/namespace-v1';
import { Release } from '@cdktf/provider-helm/lib/release';
import { Password } from '@cdktf/provider-random/lib/password';
import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket';

const app = new App();
const stack = new TerraformStack(app, 'bare');
new NamespaceV1(stack, 'Namespace', { metadata: { name: 'mlops' } });
new Release(stack, 'Release', { name: 'r', chart: 'c' });
new Password(stack, 'Password', { length: 32 });
new S3Bucket(stack, 'Bucket', {});
app.synth();
`;

function project(source: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'mlops-consumer-'));
  const modules = join(dir, 'node_modules');
  mkdirSync(modules);
  for (const name of readdirSync(join(root, 'node_modules'))) if (!name.startsWith('.')) symlinkSync(join(root, 'node_modules', name), join(modules, name));
  symlinkSync(root, join(modules, 'cdktf-mlops'));
  writeFileSync(join(dir, 'main.ts'), source);
  return dir;
}

// tsc in a child node that reports its own CPU time on exit: on a shared machine the wall clock
// measures the other processes too, the CPU time only the type-check.
const RUN_TSC = `process.on('exit', () => { const u = process.cpuUsage(); process.stderr.write('\\nCPU_MS ' + (u.user + u.system) / 1000 + '\\n'); });
process.argv = [process.argv[0], ${JSON.stringify(tsc)}, '-p', 'tsconfig.json']; require(${JSON.stringify(tsc)});`;

function typecheck(dir: string, options: Record<string, unknown>): { ms: number; cpuMs: number; errors: number; output: string } {
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { ...options, incremental: false, noEmit: true, types: ['node'] }, include: ['main.ts'] }));
  const start = performance.now();
  const r = spawnSync(process.execPath, ['-e', RUN_TSC], { cwd: dir, encoding: 'utf8' });
  const ms = performance.now() - start;
  const output = r.stdout ?? '';
  const cpuMs = Number(/CPU_MS ([\d.]+)/.exec(r.stderr ?? '')?.[1] ?? NaN);
  return { ms, cpuMs, errors: (output.match(/error TS\d+/g) ?? []).length, output };
}

const app = project(APP);
const bare = project(BARE);
try {
  typecheck(bare, template); // warm the file cache
  // Nine alternating pairs, and the median of the pairs' ratios: load on the shared machine comes and goes
  // within seconds, so each ratio compares two runs made under the same load, and the median drops the outliers.
  const pairs: { app: { ms: number; cpuMs: number }; bare: { ms: number; cpuMs: number } }[] = [];
  for (let i = 0; i < 9; i++) pairs.push({ app: typecheck(app, template), bare: typecheck(bare, template) });
  const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
  const a = { ms: median(pairs.map((p) => p.app.ms)), cpuMs: median(pairs.map((p) => p.app.cpuMs)) };
  const b = { ms: median(pairs.map((p) => p.bare.ms)), cpuMs: median(pairs.map((p) => p.bare.cpuMs)) };
  const ratio = { ms: median(pairs.map((p) => p.app.ms / p.bare.ms)), cpuMs: median(pairs.map((p) => p.app.cpuMs / p.bare.cpuMs)) };
  console.log(
    `type-check (cdktf template settings): app using MlopsPlatform ${a.ms.toFixed(0)} ms, bare app ${b.ms.toFixed(0)} ms, ratio ${ratio.ms.toFixed(2)}x wall clock; ` +
      `CPU ${a.cpuMs.toFixed(0)} ms vs ${b.cpuMs.toFixed(0)} ms, ratio ${ratio.cpuMs.toFixed(2)}x (target <= 1.3x; medians of 9 alternating pairs)`,
  );
  for (const [label, options] of [
    ['cdktf template settings', { ...template, skipLibCheck: false }],
    ['module node16', { ...template, module: 'node16', moduleResolution: 'node16', skipLibCheck: false }],
  ] as const) {
    const r = typecheck(app, options);
    const ours = (r.output.match(/^.*error TS\d+.*$/gm) ?? []).filter((l) => l.includes(join(root, 'dist')) || l.startsWith('main.ts') || l.startsWith('../') || l.startsWith('/'));
    console.log(`skipLibCheck false, ${label}: ${r.errors} errors, ${ours.length} in our typings or the app${ours.length ? `; first: ${ours[0]}` : ''}`);
  }
} finally {
  rmSync(app, { recursive: true, force: true });
  rmSync(bare, { recursive: true, force: true });
}
