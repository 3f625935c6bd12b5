import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect } from 'vitest';
import { allOf, freePort, mlflowVenv, MLFLOW_TEST_ENV, ROOT, Service } from '../support/services';
import { itWithTool, requirePython } from '../support/tools';

/**
 * The train and gate steps of examples/workflows/model/train-in-runner.yml, run as a runner runs them:
 * each step's `run:` script with bash, its env and the job's env from the workflow file (expressions
 * resolved: secrets to a real MLflow 3.17 server from the pinned venv, `runner.temp` to a temp dir),
 * with the library's train_churn.py as the repo's train.py. What is not run: `npm pack` and `tar`,
 * which fetch the released package; the gate files are laid out where they unpack it
 * (package/dist/training/scripts, which test/package/tarball.test.ts proves the tarball holds).
 * The step's exit code is what fails the workflow.
 */
const venv = mlflowVenv();
const tools = allOf(venv.check, requirePython('yaml'));
const dir = mkdtempSync(join(tmpdir(), 'train-in-runner-'));
let server: Service | undefined;

afterAll(async () => {
  await server?.stop('SIGTERM', 15);
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

const workflow = (): any =>
  JSON.parse(execFileSync('/usr/bin/python3', ['-c', 'import sys, json, yaml; print(json.dumps(yaml.safe_load(sys.stdin)))'], {
    input: readFileSync(join(ROOT, 'examples', 'workflows', 'model', 'train-in-runner.yml'), 'utf8'),
    encoding: 'utf8',
  }));

/** `${{ ... }}` expressions of the workflow, as GitHub resolves them for this run. */
function resolve(value: string, context: Record<string, string>): string {
  return value.replace(/\$\{\{\s*([\w.]+)\s*\}\}/g, (_m, expr: string) => {
    if (!(expr in context)) throw new Error(`no value for ${expr}`);
    return context[expr]!;
  });
}

describe('model/train-in-runner.yml', () => {
  itWithTool(tools, 'trains against the tracking server, and the gate step passes a good model and fails a worse one', async () => {
    const port = await freePort();
    const bin = dirname(venv.python);
    server = new Service(join(bin, 'mlflow'), ['server', '--host', '127.0.0.1', '--port', String(port), '--workers', '1',
      '--backend-store-uri', `sqlite:///${join(dir, 'mlflow.db')}`, '--serve-artifacts', '--artifacts-destination', join(dir, 'artifacts')],
    { env: { ...MLFLOW_TEST_ENV, PATH: `${bin}:/usr/bin:/bin`, HOME: dir } });
    const url = `http://127.0.0.1:${port}`;
    await server.waitFor(`${url}/health`, 180);

    const wf = workflow();
    const runnerTemp = join(dir, 'runner-temp');
    const repo = join(dir, 'repo');
    mkdirSync(repo, { recursive: true });
    cpSync(join(ROOT, 'lib', 'training', 'scripts', 'train_churn.py'), join(repo, 'train.py'));
    cpSync(join(ROOT, 'lib', 'training', 'scripts'), join(runnerTemp, 'package', 'dist', 'training', 'scripts'), { recursive: true });
    const context: Record<string, string> = {
      'secrets.MLFLOW_TRACKING_URI': url, 'secrets.MLFLOW_TRACKING_USERNAME': '', 'secrets.MLFLOW_TRACKING_PASSWORD': '', 'runner.temp': runnerTemp,
      ...Object.fromEntries(Object.entries(wf.env as Record<string, string>).map(([k, v]) => [`env.${k}`, String(v)])),
    };
    const job = wf.jobs.train;
    const step = (name: string) => (job.steps as any[]).find((s) => s.name === name);
    const envOf = (s: any) => Object.fromEntries(Object.entries({ ...wf.env, ...job.env, ...s.env } as Record<string, string>).map(([k, v]) => [k, resolve(String(v), context)]));
    const runStep = (name: string, extra: Record<string, string> = {}) => {
      const s = step(name);
      // Only the lines that do not fetch the released package (see above).
      const script = (s.run as string).split('\n').filter((l) => !/^\s*(npm pack|tar -xzf)/.test(l)).join('\n');
      const env: Record<string, string> = { ...MLFLOW_TEST_ENV, PATH: `${bin}:/usr/bin:/bin`, HOME: dir, RUNNER_TEMP: runnerTemp, ...envOf(s), ...extra };
      // Empty credentials are no credentials: GitHub leaves a missing secret empty, MLflow's client needs them unset.
      for (const k of ['MLFLOW_TRACKING_USERNAME', 'MLFLOW_TRACKING_PASSWORD']) if (env[k] === '') delete env[k];
      const r = spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', script], { cwd: repo, env, encoding: 'utf8', timeout: 300_000 });
      return { code: r.status, out: `${r.stdout}${r.stderr}` };
    };
    expect(step('promotion gate').run).toMatch(/npm pack --silent "cdktf-mlops@\$CDKTF_MLOPS_VERSION"/);

    const first = runStep('train', { CHURN_ROWS: '2000' });
    expect(first.code, first.out).toBe(0);
    const gate1 = runStep('promotion gate');
    expect(gate1.code, gate1.out).toBe(0);
    const alias = await (await fetch(`${url}/api/2.0/mlflow/registered-models/alias?name=churn&alias=challenger`)).json() as any;
    expect(alias.model_version.run_id).toBe(readFileSync(join(runnerTemp, 'run_id'), 'utf8').trim());

    // A worse model (stumps on less data) is rejected against the challenger it would replace: exit 1 fails the job.
    const second = runStep('train', { CHURN_ROWS: '300', CHURN_MAX_DEPTH: '1', CHURN_N_ESTIMATORS: '2', CHURN_SEED: '3' });
    expect(second.code, second.out).toBe(0);
    const gate2 = runStep('promotion gate');
    expect(gate2.code, gate2.out).toBe(1);
    const after = await (await fetch(`${url}/api/2.0/mlflow/registered-models/alias?name=churn&alias=challenger`)).json() as any;
    expect(after.model_version.version).toBe(alias.model_version.version);
  }, 600_000);
});
