import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TerraformStack, Testing } from '../../lib/core/cdktf';
import { ValidationError } from '../../lib/core/errors';
import { PINNED_ACTIONS, renderTrainingWorkflow } from '../../lib/platform/training-workflow';
import { MlopsPlatform } from '../../lib/platform/mlops-platform';
import { AwsMlopsStack } from '../../examples/aws/stack';
import { realToolPath } from '../support/real-tools-env';
import { itWithTool, requirePython, requireTool, type ToolCheck } from '../support/tools';

/**
 * The GitHub Actions workflows in examples/workflows/ (and the one renderTrainingWorkflow renders)
 * through the real actionlint v1.7.12 (built by scripts/ci/real-tools.sh), which runs the real
 * shellcheck (Debian's) on every `run:` script; then what actionlint does not enforce: every action
 * pinned by a full commit SHA with its version, `permissions: {}` at the top and per job, and OIDC
 * (no long-lived keys) wherever AWS is reached.
 */
const ROOT = resolve(__dirname, '../..');
const DIR = join(ROOT, 'examples', 'workflows');
const ACTIONLINT = realToolPath('MLOPS_ACTIONLINT') ?? '<not installed: run scripts/ci/real-tools.sh>';
const SHELLCHECK = '/usr/bin/shellcheck';

function requireActionlint(): ToolCheck {
  if (!existsSync(ACTIONLINT)) return { available: false, reason: `${ACTIONLINT} not found; run scripts/ci/real-tools.sh` };
  const lint = requireTool(ACTIONLINT, ['-version']);
  const shellcheck = requireTool(SHELLCHECK, ['--version']);
  return !lint.available ? lint : !shellcheck.available ? { available: false, reason: `${shellcheck.reason} (apt-get install shellcheck)` } : lint;
}
const tools = requireActionlint();
const yaml = requirePython('yaml');

const workflowFiles = (readdirSync(DIR, { recursive: true }) as string[]).filter((f) => /\.ya?ml$/.test(f)).sort();

function actionlint(files: string[]): { code: number | null; out: string } {
  const r = spawnSync(ACTIONLINT, ['-no-color', `-shellcheck=${SHELLCHECK}`, ...files], { encoding: 'utf8', cwd: DIR });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

/** A workflow as data, read by PyYAML (YAML 1.1 reads the key `on` as true; it is not needed here). */
function parse(text: string): any {
  return JSON.parse(execFileSync('/usr/bin/python3', ['-c', 'import sys, json, yaml; print(json.dumps(yaml.safe_load(sys.stdin), default=str))'], { input: text, encoding: 'utf8' }));
}

function renderAws(options: Partial<Parameters<typeof renderTrainingWorkflow>[1]> = {}): string {
  const stack = new AwsMlopsStack(Testing.app({ stackTraces: false }), 'mlops-aws');
  return renderTrainingWorkflow(stack.platform, { training: stack.platform.trainingJobs.Churn!, cluster: { eks: { clusterName: 'ml-prod', region: 'eu-west-1' } }, ...options });
}

const USES = /^\s*(?:-\s+)?uses:\s*(\S+)(.*)$/;

describe('example GitHub Actions workflows', () => {
  it('are the infra pipeline and both ways a model repo trains', () => {
    expect(workflowFiles).toEqual(['infra/infra.yml', 'model/train-in-cluster.yml', 'model/train-in-runner.yml']);
  });

  itWithTool(tools, 'pass actionlint, shellcheck included', () => {
    const r = actionlint(workflowFiles);
    expect(r.out).toBe('');
    expect(r.code).toBe(0);
  });

  itWithTool(tools, 'actionlint fails on a broken workflow: a bad expression, an unknown key and a shellcheck finding', () => {
    const dir = mkdtempSync(join(tmpdir(), 'broken-workflow-'));
    const file = join(dir, 'broken.yml');
    writeFileSync(file, [
      'on: push',
      'permissions: {}',
      'jobs:',
      '  build:',
      '    runs-on: ubuntu-latest',
      '    permissions:',
      '      contents: read',
      '    timeout-minute: 5',
      '    steps:',
      '      - run: echo ${{ github.event.nope.title }}',
      '      - run: ls $HOME/*.txt',
      '',
    ].join('\n'));
    const r = actionlint([file]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/unexpected key "timeout-minute"/);
    expect(r.out).toMatch(/shellcheck reported issue in this script: SC2086/);
  });

  it('pin every action by a full commit SHA with its version, the same one everywhere', () => {
    const pins = new Map<string, Set<string>>();
    const all = [...workflowFiles.map((f) => [f, readFileSync(join(DIR, f), 'utf8')] as const), ['rendered', renderAws()] as const];
    let uses = 0;
    for (const [file, text] of all) {
      for (const line of text.split('\n')) {
        const m = USES.exec(line);
        if (!m) continue;
        uses++;
        const [, ref, rest] = m;
        expect(`${ref}${rest}`, `${file}: ${line}`).toMatch(/^[\w.-]+\/[\w.-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$/);
        const [action] = ref!.split('@');
        pins.set(action!, (pins.get(action!) ?? new Set()).add(`${ref}${rest}`));
      }
    }
    expect(uses).toBeGreaterThan(10);
    for (const [action, refs] of pins) expect([...refs], action).toHaveLength(1);
    expect(pins.get('aws-actions/configure-aws-credentials')).toEqual(new Set([PINNED_ACTIONS.configureAwsCredentials]));
  });

  itWithTool(yaml, 'grant nothing at the top, set permissions per job, and reach AWS only through OIDC', () => {
    for (const [file, text] of [...workflowFiles.map((f) => [f, readFileSync(join(DIR, f), 'utf8')] as const), ['rendered', renderAws()] as const]) {
      const wf = parse(text);
      expect(wf.permissions, file).toEqual({});
      for (const [name, job] of Object.entries(wf.jobs as Record<string, any>)) {
        expect(job.permissions, `${file} ${name}`).toBeDefined();
        const steps = (job.steps ?? []) as any[];
        const aws = steps.filter((s) => String(s.uses ?? '').startsWith('aws-actions/configure-aws-credentials@'));
        // id-token: write exactly where a job logs in to AWS, with a role, never with keys
        expect(job.permissions['id-token'] === 'write', `${file} ${name}`).toBe(aws.length > 0);
        for (const s of aws) {
          expect(s.with['role-to-assume'], `${file} ${name}`).toMatch(/^\$\{\{ vars\.[A-Z_]+ \}\}$/);
          expect(Object.keys(s.with).filter((k) => /access-key|secret-access|session-token/.test(k))).toEqual([]);
        }
        for (const s of steps.filter((st) => String(st.uses ?? '').startsWith('actions/checkout@'))) expect(s.with?.['persist-credentials'], `${file} ${name}`).toBe(false);
      }
    }
  });

  itWithTool(yaml, 'infra: checks on every PR and push, the plan on the PR, apply on main behind the production environment', () => {
    const wf = parse(readFileSync(join(DIR, 'infra', 'infra.yml'), 'utf8'));
    expect(Object.keys(wf.true)).toEqual(['pull_request', 'push']); // `on`, as YAML 1.1 reads it
    const runs = (job: string) => (wf.jobs[job].steps as any[]).map((s) => s.run ?? '').join('\n');
    expect(runs('check')).toMatch(/npm ci[\s\S]*npm test[\s\S]*cdktf synth[\s\S]*checkov" --config-file \.checkov\.yaml/);
    expect(wf.env.CHECKOV_VERSION).toBe(readFileSync(join(ROOT, 'scripts/ci/real-tools.sh'), 'utf8').match(/CHECKOV_VERSION=(\S+)/)![1]);
    expect(wf.jobs.plan.if).toContain("github.event_name == 'pull_request'");
    expect(wf.jobs.plan.permissions).toEqual({ contents: 'read', 'id-token': 'write', 'pull-requests': 'write' });
    expect(runs('plan')).toMatch(/terraform plan -lock-timeout=5m -out=tfplan[\s\S]*GITHUB_STEP_SUMMARY[\s\S]*gh pr comment/);
    expect(wf.jobs.deploy.environment).toBe('production');
    expect(wf.jobs.deploy.if).toBe("github.event_name == 'push' && github.ref == 'refs/heads/main'");
    expect(runs('deploy')).toMatch(/terraform apply -lock-timeout=5m tfplan/);
    // State as the README says: the S3 backend with native locking (Terraform >= 1.10), from MLOPS_STATE_BUCKET.
    expect(wf.env.MLOPS_STATE_BUCKET).toBe('${{ vars.MLOPS_STATE_BUCKET }}');
    expect(Number(wf.env.TERRAFORM_VERSION.split('.')[1])).toBeGreaterThanOrEqual(10);
    expect(readFileSync(join(ROOT, 'examples/aws/stack.ts'), 'utf8')).toContain("addOverride('terraform.backend.s3.use_lockfile', true)");
    expect(wf.concurrency['cancel-in-progress']).toBe(false);
  });

  itWithTool(yaml, 'model repo: trains on push and weekly, and the gate decides the outcome', () => {
    for (const file of ['model/train-in-cluster.yml', 'model/train-in-runner.yml']) {
      const wf = parse(readFileSync(join(DIR, file), 'utf8'));
      expect(wf.true.push.branches, file).toEqual(['main']);
      expect(wf.true.schedule, file).toEqual([{ cron: '0 0 * * 0' }]);
    }
    const runner = parse(readFileSync(join(DIR, 'model/train-in-runner.yml'), 'utf8'));
    expect(runner.jobs.train.env).toMatchObject({ MLFLOW_TRACKING_URI: '${{ secrets.MLFLOW_TRACKING_URI }}', MLFLOW_TRACKING_PASSWORD: '${{ secrets.MLFLOW_TRACKING_PASSWORD }}' });
    const gate = (runner.jobs.train.steps as any[]).find((s) => s.name === 'promotion gate');
    expect(gate.run).toMatch(/python3 "\$RUNNER_TEMP\/package\/dist\/training\/scripts\/promotion_gate.py"\s*$/); // last command: its exit code is the step's
    expect(readFileSync(join(ROOT, 'scripts/copy-assets.mjs'), 'utf8')).toContain("name === 'scripts'"); // the package ships dist/training/scripts
  });
});

describe('renderTrainingWorkflow', () => {
  it('renders examples/workflows/model/train-in-cluster.yml from the AWS example', () => {
    expect(renderAws()).toBe(readFileSync(join(DIR, 'model', 'train-in-cluster.yml'), 'utf8'));
  });

  itWithTool(tools, 'renders workflows actionlint accepts, for EKS and for a self-hosted runner', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rendered-workflow-'));
    const app = Testing.app({ stackTraces: false });
    const stack = new TerraformStack(app, 's');
    const platform = new MlopsPlatform(stack, 'Platform', { namespace: 'fraud-team', monitoring: false });
    const training = platform.addTrainingJob('Fraud', { name: 'fraud-model-with-the-longest-name-012345', image: 'ghcr.io/acme/fraud:1.0.0', command: ['python', 'train.py'], schedule: '30 2 * * 1' });
    const files = {
      'eks.yml': renderAws({ schedule: '15 3 * * *', branches: ['main', 'release/v2'], timeoutMinutes: 60 }),
      'self-hosted.yml': renderTrainingWorkflow(platform, { training, cluster: { runsOn: ['self-hosted', 'linux', 'x64'] } }),
    };
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    const r = actionlint(Object.keys(files).map((f) => join(dir, f)));
    expect(r.out).toBe('');
    expect(r.code).toBe(0);
    expect(files['self-hosted.yml']).toContain('NAMESPACE: fraud-team');
    expect(files['self-hosted.yml']).toContain('runs-on: [self-hosted, linux, x64]');
    expect(files['self-hosted.yml']).toContain('CRONJOB: fraud-model-with-the-longest-name-012345');
    expect(files['eks.yml']).toContain("branches: ['main', 'release/v2']");
  });

  itWithTool(tools, 'takes the schedules actionlint takes, and refuses at construct time those it refuses', () => {
    const dir = mkdtempSync(join(tmpdir(), 'workflow-schedules-'));
    const eks = { eks: { clusterName: 'ml-prod', region: 'eu-west-1' } };
    const stack = new AwsMlopsStack(Testing.app({ stackTraces: false }), 'mlops-aws');
    const training = stack.platform.trainingJobs.Churn!;
    const render = (schedule: string) => renderTrainingWorkflow(stack.platform, { training, cluster: eks, schedule });
    const lint = (schedule: string, text: string) => {
      const file = join(dir, 'w.yml');
      writeFileSync(file, text.replace(/cron: '[^']*'/, `cron: '${schedule}'`));
      return actionlint([file]);
    };
    const template = render('0 0 * * 0');
    for (const schedule of ['0 0 * * 0', '15 3 * * *', '*/5 * * * *', '0 0 1,15 * MON-FRI', '30 2 * * SUN', '0 6 1 * 1']) {
      expect(() => render(schedule), schedule).not.toThrow();
      expect(lint(schedule, template), schedule).toEqual({ code: 0, out: '' });
    }
    // A macro, a day of week 7, every 2 minutes, a date that never comes: actionlint refuses each (the last as
    // "runs too frequently"), and so does the library, saying why; an H spread is for the library's CronJobs.
    for (const [schedule, why] of [['@daily', /macro/], ['0 0 * * 7', /outside 0-6/], ['*/2 * * * *', /at most every 5 minutes/], ['0 0 31 4 *', /matches no date/]] as const) {
      expect(() => render(schedule), schedule).toThrow(why);
      expect(lint(schedule, template).code, schedule).toBe(1);
    }
    expect(() => render('H 2 * * *')).toThrow(/CronJobs only/);
  });

  it('rejects a one-off training job and input that is not a name', () => {
    const stack = new AwsMlopsStack(Testing.app({ stackTraces: false }), 'mlops-aws');
    const oneOff = stack.platform.addTrainingJob('Once', { name: 'once', image: 'ghcr.io/acme/x:1.0.0', command: ['python', 't.py'] });
    const eks = { eks: { clusterName: 'ml-prod', region: 'eu-west-1' } };
    expect(() => renderTrainingWorkflow(stack.platform, { training: oneOff, cluster: eks })).toThrow(/training: got the one-off training job "once"/);
    const training = stack.platform.trainingJobs.Churn!;
    expect(() => renderTrainingWorkflow(stack.platform, { training, cluster: { eks: { clusterName: 'x; rm -rf /', region: 'eu-west-1' } } })).toThrow(ValidationError);
    expect(() => renderTrainingWorkflow(stack.platform, { training, cluster: eks, branches: ["main'\n  evil: 1"] })).toThrow(/branches\[0\]: got .*must be a branch name/);
    expect(() => renderTrainingWorkflow(stack.platform, { training, cluster: eks, schedule: 'weekly' })).toThrow(/schedule: got "weekly"/);
    expect(() => renderTrainingWorkflow(stack.platform, { training, cluster: { runsOn: ['a b'] } })).toThrow(/runsOn\[0\]/);
  });
});
