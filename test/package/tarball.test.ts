import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SynthesizedJson } from '../../lib/testing';
import { describeDiagnostics, missingProviders, requireTerraform, terraformValidate } from '../support/terraform';
import { inCi } from '../support/tools';
import { COMPANY_REPO } from './company-repo';

/**
 * The packed tarball, installed into an empty project the way a user would
 * (`npm install` of the .tgz with its peer dependencies), type-checks and runs
 * a small app that uses MlopsPlatform and cdktf-mlops/testing.
 */
const root = join(__dirname, '..', '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
let dir: string;
let tarball: string;

const run = (cmd: string, args: string[], cwd: string) => {
  try {
    return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: 'pipe', env: { ...process.env, CHECKPOINT_DISABLE: '1', npm_config_fund: 'false', npm_config_audit: 'false' } });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
  }
};

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cdktf-mlops-consumer-'));
  run('npm', ['run', 'build'], root);
  const packed = JSON.parse(run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', dir], root));
  tarball = join(dir, packed[0].filename);
  const consumer = join(dir, 'consumer');
  mkdirSync(join(consumer, 'app'), { recursive: true });
  // The peers (the providers alone are hundreds of MB) come from this checkout's node_modules as file:
  // links, at the versions the project pins; npm installs the tarball and its own dependencies for real.
  const peers = [...Object.keys(pkg.peerDependencies).filter((name) => name !== 'vitest'), 'typescript', '@types/node', 'cdktf-cli'];
  // vitest too, for the company repo's own tests (an optional peer, so not in `peers`' version check).
  const linked = Object.fromEntries([...peers, 'vitest'].map((name) => [name, `file:${join(root, 'node_modules', name)}`]));
  writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, dependencies: linked }));
  run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball], consumer);
  for (const name of peers) expect(JSON.parse(readFileSync(join(consumer, 'node_modules', name, 'package.json'), 'utf8')).version).toBe(pkg.devDependencies[name]);
  writeFileSync(
    join(consumer, 'app', 'main.ts'),
    `import { App, TerraformStack } from 'cdktf';
import { MlopsPlatform, ValidationError, type MlopsPlatformProps } from 'cdktf-mlops';
import { resourcesOf, synthStack } from 'cdktf-mlops/testing';

const props: MlopsPlatformProps = { namespace: 'team-a', tracking: { replicas: 1 } };
const app = new App({ outdir: 'out' });
const stack = new TerraformStack(app, 'consumer');
const platform = new MlopsPlatform(stack, 'Platform', props);
platform.addModel('Churn', { model: 'models:/churn@champion' });
const uri: string = platform.trackingUri;
let rejected = '';
try {
  synthStack((s) => new MlopsPlatform(s, 'Bad', { namespace: 'Bad_Name' }));
} catch (err) {
  if (err instanceof ValidationError) rejected = err.problems[0]!.propPath;
}
const { json } = synthStack((s) => new MlopsPlatform(s, 'P'));
app.synth();
console.log(JSON.stringify({ uri, rejected, deployments: Object.keys(resourcesOf(json, 'kubernetes_deployment_v1')).length }));
`,
  );
  for (const [file, text] of Object.entries(COMPANY_REPO)) {
    mkdirSync(join(consumer, 'app', 'acme'), { recursive: true });
    writeFileSync(join(consumer, 'app', 'acme', file), text);
  }
  writeFileSync(
    join(consumer, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: { strict: true, module: 'node16', moduleResolution: 'node16', target: 'ES2022', outDir: 'build', types: ['node', 'vitest'] /* vitest first: cdktf-mlops/testing augments its Matchers */, skipLibCheck: true },
      include: ['app/**/*.ts'],
    }),
  );
}, 300_000);

afterAll(() => {
  if (dir && !process.env.MLOPS_KEEP_CONSUMER) rmSync(dir, { recursive: true, force: true }); // keep it to debug a failure
});

describe('the packed tarball', () => {
  it('holds the compiled library, its typings and the files shipped to pods, and no tests or sources', () => {
    const files = run('tar', ['-tzf', tarball], root).split('\n').filter(Boolean);
    expect(files).toContain('package/dist/index.js');
    expect(files).toContain('package/dist/index.d.ts');
    expect(files).toContain('package/dist/testing/index.d.ts');
    // Every program file, the modules beside each entry file included.
    for (const area of ['training', 'drift', 'serving', 'tracking']) {
      for (const name of readdirSync(join(root, 'lib', area, 'scripts')).filter((n) => n.endsWith('.py'))) {
        expect(files).toContain(`package/dist/${area}/scripts/${name}`);
      }
    }
    expect(files).toContain('package/dist/training/scripts/gate_checks.py');
    expect(files).toContain('package/dist/drift/scripts/drift_stats.py');
    expect(files).toContain('package/dist/serving/charts/model-route/Chart.yaml');
    // Every local chart, whatever its area (cluster's disruption-budgets included).
    for (const area of readdirSync(join(root, 'lib')).filter((a) => existsSync(join(root, 'lib', a, 'charts')))) {
      for (const chart of readdirSync(join(root, 'lib', area, 'charts'))) {
        expect(files).toContain(`package/dist/${area}/charts/${chart}/Chart.yaml`);
        for (const t of readdirSync(join(root, 'lib', area, 'charts', chart, 'templates'))) expect(files).toContain(`package/dist/${area}/charts/${chart}/templates/${t}`);
      }
    }
    expect(files).toContain('package/dist/cluster/charts/disruption-budgets/Chart.yaml');
    expect(files).toContain('package/dist/spec/bin.js');
    expect(files).toContain('package/dist/spec/platform-spec.schema.json');
    expect(files.filter((f) => /\.test\.|^package\/(lib|test|examples)\//.test(f))).toEqual([]);
  });

  it('installs into an empty project, type-checks and runs an app using MlopsPlatform', () => {
    const consumer = join(dir, 'consumer');
    run(join(consumer, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.json'], consumer);
    const out = JSON.parse(run('node', ['build/main.js'], consumer).trim().split('\n').pop()!);
    expect(out).toEqual({ uri: 'http://mlflow.team-a.svc.cluster.local:5000', rejected: 'namespace', deployments: 1 });
    expect(existsSync(join(consumer, 'out', 'stacks', 'consumer', 'cdk.tf.json'))).toBe(true);
  });

  // The published typings type-check as they are (skipLibCheck false) under the settings of the project
  // `cdktf init --template typescript` creates (the template cdktf-cli 0.21.0 ships) and under module node16:
  // zod's typings (they need esModuleInterop) and the provider's struct typings stay out of them.
  const template = JSON.parse(readFileSync(join(root, 'node_modules', 'cdktf-cli', 'bundle', 'templates', 'typescript', 'tsconfig.json'), 'utf8'));
  it.each([
    ['the cdktf project template', template.compilerOptions],
    ['module node16', { ...template.compilerOptions, module: 'node16', moduleResolution: 'node16' }],
  ])('its typings type-check with skipLibCheck false under %s', (label, options) => {
    const consumer = join(dir, 'consumer');
    const config = `tsconfig.${String(label).replace(/\W+/g, '-')}.json`;
    writeFileSync(join(consumer, config), JSON.stringify({ compilerOptions: { ...options, skipLibCheck: false, incremental: false, noEmit: true }, include: ['app/*.ts'] }));
    let output: string;
    try {
      output = run(join(consumer, 'node_modules', '.bin', 'tsc'), ['-p', config, '--listFiles'], consumer);
    } catch (e) {
      output = String((e as { stdout?: string }).stdout ?? e);
    }
    const lines = output.split('\n');
    expect(lines.filter((l) => /error TS\d+/.test(l))).toEqual([]);
    const files = lines.filter((l) => /\.d\.c?ts$/.test(l));
    expect(files.some((f) => f.endsWith('/node_modules/cdktf-mlops/dist/index.d.ts'))).toBe(true);
    expect(files.filter((f) => /\/node_modules\/zod\/|\/index-structs\//.test(f))).toEqual([]);
  });

  describe('a company repo built on it (app/acme: test/package/company-repo.ts)', () => {
    const consumer = () => join(dir, 'consumer');
    it('uses typed props only: no addOverride, no snake_case Terraform JSON', () => {
      for (const [file, text] of Object.entries(COMPANY_REPO).filter(([f]) => !f.endsWith('.test.ts'))) {
        expect(text, file).not.toMatch(/addOverride|escapeHatch|image_pull_secrets|secret_key_ref|volume_mount/);
      }
    });

    it('type-checks strictly (above, with the app) and synthesizes with cdktf validations on', () => {
      run(join(consumer(), 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.json'], consumer());
      const out = JSON.parse(run('node', ['build/acme/main.js'], consumer()).trim().split('\n').pop()!);
      expect(out).toEqual({ models: ['Churn'], modelClass: 'AcmeModel', team: 'risk' });
      const json = JSON.parse(readFileSync(join(consumer(), 'out-acme', 'stacks', 'acme', 'cdk.tf.json'), 'utf8'));
      const model = Object.values(json.resource.kubernetes_deployment_v1 as Record<string, any>).find((d) => d.metadata.name === 'churn');
      expect(model.metadata.labels).toMatchObject({ 'acme.com/team': 'risk', 'acme.com/env': 'prod' });
      expect(model.metadata.annotations['acme.com/owner']).toBe('risk@acme.com');
      const pod = model.spec.template.spec;
      expect(pod.container.map((c: any) => c.name)).toEqual(['model', 'acme-audit']);
      expect(pod.container[0].env).toContainEqual({ name: 'ACME_API_TOKEN', value_from: { secret_key_ref: { name: 'acme-api', key: 'token' } } });
      expect(pod.container[1].security_context).toEqual(pod.container[0].security_context);
      expect(pod.image_pull_secrets).toEqual([{ name: 'acme-registry' }]);
      // The company's providers, MinIO store (a dotted bucket) and managed database are the ones used.
      expect(Object.keys(json.provider)).toEqual(expect.arrayContaining(['kubernetes', 'helm']));
      expect(json.provider.kubernetes[0].config_context).toBe('acme-prod');
      expect(JSON.stringify(json)).toContain('s3://my.company.models/mlflow');
      expect(json.resource.kubernetes_stateful_set_v1).toBeUndefined(); // no in-cluster Postgres
    });

    it('runs its own vitest snapshot through cdktf-mlops/testing (written once, then matched in CI mode)', () => {
      const vitest = join(consumer(), 'node_modules', '.bin', 'vitest');
      // The outer vitest's own variables (VITEST, VITEST_POOL_ID, ...) and CI are not the company's.
      const env = { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('VITEST') && k !== 'CI' && k !== 'NODE_ENV')), CHECKPOINT_DISABLE: '1', NO_COLOR: '1' };
      execFileSync(vitest, ['run', '--dir', 'app', '--root', consumer()], { cwd: consumer(), encoding: 'utf8', stdio: 'pipe', env });
      const snap = join(consumer(), 'app', 'acme', '__snapshots__', 'acme.test.ts.snap');
      expect(readFileSync(snap, 'utf8')).toContain('acme-audit');
      // CI mode writes no snapshot: a run that matches is a real comparison.
      const ci = execFileSync(vitest, ['run', '--dir', 'app', '--root', consumer()], { cwd: consumer(), encoding: 'utf8', stdio: 'pipe', env: { ...env, CI: 'true' } });
      expect(ci).toMatch(/Tests +\S*4 passed/);
    });

    const terraform = requireTerraform();
    it.skipIf(!terraform.available && !inCi)(`passes the real terraform validate${terraform.available ? '' : ` [skipped: ${terraform.reason}]`}`, (ctx) => {
      if (!terraform.available) expect.fail(terraform.reason);
      const json = JSON.parse(readFileSync(join(consumer(), 'out-acme', 'stacks', 'acme', 'cdk.tf.json'), 'utf8')) as SynthesizedJson;
      const missing = missingProviders(json);
      if (missing.length > 0) {
        console.warn(`terraform validate of the company repo SKIPPED: no provider binary for ${missing.join(', ')}`);
        ctx.skip();
      }
      expect(describeDiagnostics(terraformValidate(json).filter((d) => d.severity === 'error'))).toEqual([]);
    }, 240_000);
  });
});

describe('the installed cdktf-mlops command', () => {
  const consumer = () => join(dir, 'consumer');
  const npx = (args: string[]) => execFileSync('npx', ['--no-install', ...args], { cwd: consumer(), encoding: 'utf8', stdio: 'pipe', env: { ...process.env, CHECKPOINT_DISABLE: '1' } });
  const spec = () => {
    const text = readFileSync(join(root, 'examples', 'spec', 'local.yaml'), 'utf8')
      .replace('$schema=../../schema/platform-spec.schema.json', '$schema=node_modules/cdktf-mlops/dist/spec/platform-spec.schema.json');
    writeFileSync(join(consumer(), 'platform.yaml'), text);
  };

  it('validates a spec and prints the schema it ships', () => {
    spec();
    expect(npx(['cdktf-mlops', 'validate', 'platform.yaml'])).toBe('platform.yaml: valid\n');
    const shipped = JSON.parse(readFileSync(join(consumer(), 'node_modules', 'cdktf-mlops', 'dist', 'spec', 'platform-spec.schema.json'), 'utf8'));
    expect(JSON.parse(npx(['cdktf-mlops', 'schema']))).toEqual(shipped);
    expect(shipped).toEqual(JSON.parse(readFileSync(join(root, 'schema', 'platform-spec.schema.json'), 'utf8')));
  }, 240_000);

  it('is the app of the real `cdktf synth --app "npx cdktf-mlops synth platform.yaml"` (cdktf-cli 0.21.0)', () => {
    spec();
    writeFileSync(join(consumer(), 'cdktf.json'), JSON.stringify({ language: 'typescript', app: 'npx cdktf-mlops synth platform.yaml' }));
    npx(['cdktf', 'synth', '--app', 'npx cdktf-mlops synth platform.yaml']);
    const json = JSON.parse(readFileSync(join(consumer(), 'cdktf.out', 'stacks', 'mlops-local', 'cdk.tf.json'), 'utf8'));
    expect(Object.keys(json.resource.kubernetes_deployment_v1).length).toBeGreaterThanOrEqual(3);
  }, 300_000);
});
