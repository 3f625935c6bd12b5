import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { describe, it, expect } from 'vitest';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { allContainers, resourceNamed, resourcesOf, synthStack, secureDefaultViolations } from '../../lib/testing';
import { MlopsPlatform } from '../../lib/platform/mlops-platform';
import { TrainingJob, type TrainingJobProps } from '../../lib/training/training-job';
import type { IMonitoringSink, WatchTarget } from '../../lib/core/observability';
import { ValidationError } from '../../lib/core/errors';
import { Monitoring } from '../../lib/monitoring/monitoring';
import { rankZeroOnly } from '../../lib/training/distributed';
import { requireTool, itWithTool } from '../support/tools';
import { requireTerraform, TERRAFORM } from '../support/terraform';
import { AwsPodIdentity } from '../../lib/aws/aws-pod-identity';
import { S3ArtifactStore } from '../../lib/aws/s3-artifact-store';
import { policiesSelecting } from '../support/network-policies';

const IMAGE = 'ghcr.io/acme/churn-train:1.4.2';
const BASE = { name: 'churn', image: IMAGE, command: ['python', 'train.py'] };
const NON_ZERO = Array.from({ length: 255 }, (_, i) => i + 1);
/** The exit codes as synthesized: Terraform's range(1, 256), evaluated by the real CLI below. */
const NON_ZERO_EXPR = '${range(1, 256, 1)}';
type Props = Omit<TrainingJobProps, 'platform'>;

function recordingSink(): IMonitoringSink & { targets: WatchTarget[] } {
  const targets: WatchTarget[] = [];
  return { targets, prometheusNamespace: 'monitoring', watch: (t) => void targets.push(t) };
}

/** Synthesizes a default platform with one training job. */
function synthJob(props: Props, platformProps: ConstructorParameters<typeof MlopsPlatform>[2] = {}) {
  let job!: TrainingJob;
  let platform!: MlopsPlatform;
  const out = synthStack((stack) => {
    platform = new MlopsPlatform(stack, 'Platform', platformProps);
    job = new TrainingJob(stack, 'Train', { platform, ...props });
  });
  return { ...out, job, platform };
}

const jobOf = (json: any, name = 'churn') => resourceNamed(json, 'kubernetes_job_v1', name);
const cronOf = (json: any, name = 'churn') => resourceNamed(json, 'kubernetes_cron_job_v1', name);
const envOf = (container: any): Record<string, any> => Object.fromEntries((container.env ?? []).map((e: any) => [e.name, e.value ?? e.value_from]));
const byName = (containers: any[] | undefined, name: string) => {
  const c = (containers ?? []).find((x) => x.name === name);
  if (!c) throw new Error(`no container ${name} in ${(containers ?? []).map((x) => x.name).join(', ')}`);
  return c;
};

function expectError(props: Props, propPath: string, fragment?: string | RegExp) {
  let err: unknown;
  try {
    synthJob(props);
  } catch (e) {
    err = e;
  }
  expect(err, `expected a ValidationError for ${propPath}`).toBeInstanceOf(ValidationError);
  const problems = (err as ValidationError).problems;
  expect(problems.map((p) => p.propPath)).toContain(propPath);
  if (fragment) expect((err as Error).message).toMatch(fragment);
}

describe('TrainingJob: one-off', () => {
  const { json, job, platform } = synthJob(BASE);
  const k8sJob = jobOf(json);
  const pod = k8sJob.spec.template.spec;

  it('is a Job that apply does not wait for, with safe limits', () => {
    expect(resourcesOf(json, 'kubernetes_cron_job_v1')).toEqual({});
    expect(k8sJob.wait_for_completion).toBe(false);
    expect(k8sJob.spec).toMatchObject({ backoff_limit: 1, active_deadline_seconds: 21600 });
    // A TTL would delete the Job and Terraform would re-create (re-run) it.
    expect(k8sJob.spec.ttl_seconds_after_finished).toBeUndefined();
    expect(k8sJob.spec.completion_mode).toBeUndefined();
    expect(pod.restart_policy).toBe('Never');
    expect(job.job).toBeDefined();
    expect(job.cronJob).toBeUndefined();
    expect(job.jobName).toBe('churn');
  });

  it('runs the training command as the only container, with tracking env and HOME', () => {
    expect(pod.init_container).toBeUndefined();
    const train = byName(pod.container, 'train');
    expect(train.image).toBe(IMAGE);
    expect(train.command).toEqual(['python', 'train.py']);
    const env = envOf(train);
    expect(env.MLFLOW_TRACKING_URI).toBe(platform.trackingUri);
    expect(env.MLFLOW_EXPERIMENT_NAME).toBe('churn');
    expect(env.MLOPS_RUN_ID_FILE).toBe('/mlops/run/run_id');
    expect(env.HOME).toBe('/tmp');
    expect(train.resources.requests).toEqual({ cpu: '1', memory: '2Gi' });
    expect(train.resources.limits).toEqual({ memory: '2Gi' });
  });

  it('runs as its own service account, labelled as a tracking client', () => {
    const sa = resourceNamed(json, 'kubernetes_service_account_v1', 'churn-training');
    expect(sa.automount_service_account_token).toBe(false);
    expect(pod.service_account_name).toContain('kubernetes_service_account_v1');
    expect(k8sJob.spec.template.metadata.labels).toMatchObject({
      'mlops.cdktf.io/tracking-client': 'true',
      'app.kubernetes.io/instance': 'churn',
      'app.kubernetes.io/component': 'training',
    });
  });

  it('does not mount the in-cluster artifact volume by default (clients upload through the tracking server)', () => {
    expect(pod.volume.map((v: any) => v.name)).not.toContain('artifacts');
    expect(pod.affinity).toBeUndefined();
  });

  it('opens no extra egress: default-deny stays, the tracking server is reached through the client label', () => {
    const mine = Object.values(resourcesOf(json, 'kubernetes_network_policy_v1')).filter((np: any) => np.metadata.name.startsWith('churn-'));
    expect(mine).toEqual([]);
  });
});

describe('TrainingJob: scheduled', () => {
  const sink = recordingSink();
  const { json, job } = synthJob({ ...BASE, schedule: '0 0 * * 0', timeZone: 'Europe/Berlin', model: 'churn' }, { monitoring: sink });
  const cron = cronOf(json);

  it('is a CronJob with Forbid, deadlines, history limits and TTL', () => {
    expect(resourcesOf(json, 'kubernetes_job_v1')).toEqual({});
    expect(cron.spec).toMatchObject({
      schedule: '0 0 * * 0',
      timezone: 'Europe/Berlin',
      suspend: false,
      concurrency_policy: 'Forbid',
      starting_deadline_seconds: 3600,
      successful_jobs_history_limit: 3,
      failed_jobs_history_limit: 3,
    });
    expect(cron.spec.job_template.spec).toMatchObject({ backoff_limit: 1, active_deadline_seconds: 21600, ttl_seconds_after_finished: '604800' });
    expect(cron.spec.job_template.spec.template.spec.restart_policy).toBe('Never');
    expect(job.cronJobName).toBe('churn');
  });

  it('registers with monitoring with the schedule period', () => {
    const t = sink.targets.find((x) => x.kind === 'training');
    expect(t).toEqual({
      kind: 'training', name: 'churn', namespace: expect.any(String), model: 'churn',
      cronJobName: 'churn', jobName: undefined, schedulePeriodSeconds: 7 * 86400, severity: undefined,
    });
  });

  it('registers a one-off job by its Job name', () => {
    const s = recordingSink();
    synthJob(BASE, { monitoring: s });
    expect(s.targets.find((x) => x.kind === 'training')).toMatchObject({ jobName: 'churn', cronJobName: undefined, schedulePeriodSeconds: undefined });
  });

  it('honours explicit limits', () => {
    const { json: j } = synthJob({ ...BASE, schedule: '@daily', suspend: true, backoffLimit: 0, activeDeadlineSeconds: 600, ttlSecondsAfterFinished: 60, startingDeadlineSeconds: 120, successfulJobsHistoryLimit: 1, failedJobsHistoryLimit: 5 });
    const c = cronOf(j);
    expect(c.spec).toMatchObject({ suspend: true, starting_deadline_seconds: 120, successful_jobs_history_limit: 1, failed_jobs_history_limit: 5 });
    expect(c.spec.job_template.spec).toMatchObject({ backoff_limit: 0, active_deadline_seconds: 600, ttl_seconds_after_finished: '60' });
  });
});

describe('TrainingJob: GPUs', () => {
  const { json } = synthJob({
    ...BASE,
    gpus: 2,
    resources: { cpu: '8', memory: '32Gi' },
    nodeSelector: { 'nvidia.com/gpu.product': 'NVIDIA-A10G' },
    dataValidation: { command: ['great_expectations', 'checkpoint', 'run', 'churn'] },
    promotionGate: { metric: 'auc', direction: 'higher_is_better', threshold: 0.8, modelName: 'churn' },
  });
  const pod = jobOf(json).spec.template.spec;

  it('sets the nvidia.com/gpu limit on the training step only', () => {
    const train = byName(pod.init_container, 'train');
    expect(train.resources.limits).toMatchObject({ 'nvidia.com/gpu': '2', memory: '32Gi' });
    expect(train.resources.requests).toMatchObject({ 'nvidia.com/gpu': '2', cpu: '8' });
    for (const name of ['data-validation', 'promotion-gate']) {
      const c = [...pod.init_container, ...pod.container].find((x: any) => x.name === name);
      expect(c.resources.limits['nvidia.com/gpu'], name).toBeUndefined();
    }
  });

  it('tolerates the GPU taint and keeps the node selector', () => {
    expect(pod.toleration).toEqual([{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }]);
    expect(pod.node_selector).toEqual({ 'nvidia.com/gpu.product': 'NVIDIA-A10G' });
  });

  it('replaces the default toleration with the given ones', () => {
    const { json: j } = synthJob({ ...BASE, gpus: 1, tolerations: [{ key: 'gpu', operator: 'Equal', value: 'a100', effect: 'NoSchedule' }] });
    expect(jobOf(j).spec.template.spec.toleration).toEqual([{ key: 'gpu', operator: 'Equal', value: 'a100', effect: 'NoSchedule' }]);
  });

  it('has no GPU toleration without GPUs', () => {
    const { json: j } = synthJob(BASE);
    expect(jobOf(j).spec.template.spec.toleration).toBeUndefined();
  });
});

describe('TrainingJob: steps in order', () => {
  const { json, job } = synthJob({
    ...BASE,
    model: 'churn',
    env: { EPOCHS: '10' },
    secretEnv: { HF_TOKEN: { secretName: 'hf', key: 'token' } },
    envFromSecrets: ['warehouse-credentials'],
    dataValidation: { command: ['great_expectations', 'checkpoint', 'run', 'churn'] },
    promotionGate: { metric: 'val_auc', direction: 'higher_is_better', threshold: 0.85, compareToChampion: true },
  });
  const spec = jobOf(json).spec;
  const pod = spec.template.spec;

  it('runs validation, then training as init containers, and the gate as the main container', () => {
    expect(pod.init_container.map((c: any) => c.name)).toEqual(['data-validation', 'train']);
    expect(pod.container.map((c: any) => c.name)).toEqual(['promotion-gate']);
    expect(byName(pod.init_container, 'data-validation').command).toEqual(['great_expectations', 'checkpoint', 'run', 'churn']);
    expect(byName(pod.init_container, 'data-validation').image).toBe(IMAGE);
  });

  it('mounts the gate script from a ConfigMap whose content is the shipped file', () => {
    const gate = byName(pod.container, 'promotion-gate');
    expect(gate.command).toEqual(['python3', '/opt/mlops/promotion_gate.py']);
    expect(gate.image).toBe(IMAGE);
    const cm = resourceNamed(json, 'kubernetes_config_map_v1', 'mlops-program-promotion-gate');
    const scripts = join(__dirname, '../../lib/training/scripts');
    const names = readdirSync(scripts).filter((n) => n === 'promotion_gate.py' || /^gate_\w+\.py$/.test(n)).sort();
    expect(names).toEqual(expect.arrayContaining(['promotion_gate.py', 'gate_checks.py', 'gate_client.py']));
    expect(Object.keys(cm.data)).toEqual(names);
    for (const name of names) expect(cm.data[name]).toBe(readFileSync(join(scripts, name), 'utf8'));
    expect(gate.volume_mount).toContainEqual({ name: 'gate-script', mount_path: '/opt/mlops', read_only: true });
    expect(pod.volume).toContainEqual({ name: 'gate-script', config_map: { name: expect.stringContaining('kubernetes_config_map_v1'), default_mode: '0444' } });
    expect(job.gateScript).toBeDefined();
  });

  itWithTool(requireTool('/usr/bin/python3', ['--version']), 'the ConfigMap alone is a runnable program: its files in a directory of their own import each other', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gate-program-'));
    try {
      const cm = resourceNamed(json, 'kubernetes_config_map_v1', 'mlops-program-promotion-gate');
      for (const [name, text] of Object.entries(cm.data as Record<string, string>)) writeFileSync(join(dir, name), text);
      const res = spawnSync('/usr/bin/python3', [join(dir, 'promotion_gate.py')], { encoding: 'utf8', env: {} });
      expect(res.stderr).toContain('MLFLOW_TRACKING_URI is required');
      expect(res.status).toBe(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('gives the gate its env contract and the tracking env, but not the user secrets', () => {
    const env = envOf(byName(pod.container, 'promotion-gate'));
    expect(env).toMatchObject({
      GATE_MODEL_NAME: 'churn', GATE_METRIC: 'val_auc', GATE_DIRECTION: 'higher_is_better', GATE_THRESHOLD: '0.85',
      GATE_COMPARE_TO_CHAMPION: 'true', GATE_ALIAS: 'champion', GATE_RUN_ID_FILE: '/mlops/run/run_id',
      MLFLOW_TRACKING_URI: expect.stringContaining(':5000'),
    });
    expect(env.HF_TOKEN).toBeUndefined();
    expect(byName(pod.container, 'promotion-gate').env_from).toBeUndefined();
  });

  it('shares /mlops/run between training and gate (the run id file)', () => {
    const mountOf = (c: any) => c.volume_mount.find((m: any) => m.mount_path === '/mlops/run');
    const trainMount = mountOf(byName(pod.init_container, 'train'));
    expect(trainMount).toBeDefined();
    expect(mountOf(byName(pod.container, 'promotion-gate')).name).toBe(trainMount.name);
    expect(pod.volume.find((v: any) => v.name === trainMount.name).empty_dir).toBeDefined();
  });

  it('gives validation and training the user env, Secret env and envFrom Secrets', () => {
    for (const name of ['data-validation', 'train']) {
      const c = byName(pod.init_container, name);
      expect(envOf(c), name).toMatchObject({ EPOCHS: '10', MLOPS_MODEL_NAME: 'churn', HF_TOKEN: { secret_key_ref: { name: 'hf', key: 'token' } } });
      expect(c.env_from, name).toEqual([{ secret_ref: { name: 'warehouse-credentials' } }]);
    }
  });

  it('fails the job without retry when validation or the gate fails, and ignores disruptions', () => {
    expect(spec.pod_failure_policy.rule).toEqual([
      { action: 'Ignore', on_pod_condition: [{ type: 'DisruptionTarget', status: 'True' }] },
      // every non-zero exit code: the kubernetes provider rejects 0 in `values`, so not "NotIn [0]"
      { action: 'FailJob', on_exit_codes: { container_name: 'data-validation', operator: 'In', values: NON_ZERO_EXPR } },
      { action: 'FailJob', on_exit_codes: { container_name: 'promotion-gate', operator: 'In', values: NON_ZERO_EXPR } },
    ]);
  });

  itWithTool(requireTerraform(), 'spells the exit codes as an expression the real Terraform evaluates to 1..255', () => {
    const dir = mkdtempSync(join(tmpdir(), 'exit-codes-'));
    try {
      writeFileSync(join(dir, 'main.tf.json'), JSON.stringify({ locals: { v: NON_ZERO_EXPR } }));
      const out = execFileSync(TERRAFORM, ['console'], { cwd: dir, input: 'jsonencode(local.v)\n', encoding: 'utf8', env: { ...process.env, TF_IN_AUTOMATION: '1', CHECKPOINT_DISABLE: '1' } });
      expect(JSON.parse(JSON.parse(out.trim()))).toEqual(NON_ZERO);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('passes the gate options through (alias, dry run, own image)', () => {
    const { json: j } = synthJob({
      ...BASE,
      promotionGate: { metric: 'rmse', direction: 'lower_is_better', threshold: 3, modelName: 'price', alias: 'production', dryRun: true, image: 'python:3.12-slim' },
    });
    const gate = byName(jobOf(j).spec.template.spec.container, 'promotion-gate');
    expect(gate.image).toBe('python:3.12-slim');
    expect(gate.command).toEqual(['python3', '/opt/mlops/promotion_gate.py', '--dry-run']);
    expect(envOf(gate)).toMatchObject({ GATE_MODEL_NAME: 'price', GATE_ALIAS: 'production', GATE_DIRECTION: 'lower_is_better', GATE_THRESHOLD: '3' });
  });
});

describe('TrainingJob: distributed', () => {
  const { json, job } = synthJob({
    ...BASE,
    workers: 4,
    gpus: 8,
    schedule: '0 0 * * 0',
    command: ['torchrun', 'train.py'],
    sharedMemory: '8Gi',
    dataValidation: { command: ['python', 'validate.py'] },
    promotionGate: { metric: 'auc', direction: 'higher_is_better', threshold: 0.8, modelName: 'churn' },
  });
  const jobSpec = cronOf(json).spec.job_template.spec;
  const pod = jobSpec.template.spec;

  it('is an Indexed Job with one pod per worker', () => {
    expect(jobSpec).toMatchObject({ completion_mode: 'Indexed', completions: 4, parallelism: 4 });
    expect(pod.subdomain).toBe('churn-workers');
  });

  it('has a headless Service that selects the job pods', () => {
    const svc = resourceNamed(json, 'kubernetes_service_v1', 'churn-workers');
    expect(svc.spec).toMatchObject({ cluster_ip: 'None', publish_not_ready_addresses: true, selector: job.podLabels });
    expect(jobSpec.template.metadata.labels).toMatchObject(job.podLabels);
    expect(job.service).toBeDefined();
  });

  it('gives every step the rendezvous env, with JOB_NAME defined before MASTER_ADDR uses it', () => {
    const train = byName(pod.init_container, 'train');
    const names = train.env.map((e: any) => e.name);
    expect(names.indexOf('JOB_NAME')).toBeLessThan(names.indexOf('MASTER_ADDR'));
    expect(names.indexOf('RANK')).toBeLessThan(names.indexOf('NODE_RANK'));
    const env = envOf(train);
    expect(env).toMatchObject({
      JOB_NAME: { field_ref: { field_path: "metadata.labels['batch.kubernetes.io/job-name']" } },
      RANK: { field_ref: { field_path: "metadata.annotations['batch.kubernetes.io/job-completion-index']" } },
      NODE_RANK: '$(RANK)',
      MASTER_ADDR: '$(JOB_NAME)-0.churn-workers',
      MASTER_PORT: '29500',
      WORLD_SIZE: '4',
      PET_NNODES: '4',
      PET_NPROC_PER_NODE: '8',
      PET_MASTER_ADDR: '$(JOB_NAME)-0.churn-workers',
    });
  });

  it('runs validation and the gate on rank 0 only, training on every rank', () => {
    const validate = byName(pod.init_container, 'data-validation');
    expect(validate.command.slice(0, 2)).toEqual(['sh', '-c']);
    expect(validate.command[2]).toContain('JOB_COMPLETION_INDEX');
    expect(validate.command.slice(3)).toEqual(['rank0-only', 'python', 'validate.py']);
    expect(byName(pod.container, 'promotion-gate').command.slice(-2)).toEqual(['python3', '/opt/mlops/promotion_gate.py']);
    expect(byName(pod.init_container, 'train').command).toEqual(['torchrun', 'train.py']);
  });

  it('puts no shell `${...}` into cdk.tf.json, where Terraform would parse it as an interpolation', () => {
    const interpolations = JSON.stringify(json).match(/\$\{[^}]*\}/g) ?? [];
    expect(interpolations.filter((i) => !/^\$\{(kubernetes|helm|random|aws|data)[._]/.test(i) && i !== NON_ZERO_EXPR)).toEqual([]); // the library's own references and exit codes
  });

  it('allows all TCP between the job pods (NCCL uses ephemeral ports) and nothing else', () => {
    const ingress = resourceNamed(json, 'kubernetes_network_policy_v1', 'churn-peers-ingress');
    expect(ingress.spec.pod_selector.match_labels).toEqual(job.podLabels);
    expect(ingress.spec.ingress).toEqual([{ from: [{ pod_selector: { match_labels: job.podLabels } }], ports: [] }]);
    const egress = resourceNamed(json, 'kubernetes_network_policy_v1', 'churn-peers-egress');
    expect(egress.spec.egress).toEqual([{ to: [{ pod_selector: { match_labels: job.podLabels } }], ports: [] }]);
  });

  it('mounts a memory-backed /dev/shm', () => {
    expect(pod.volume).toContainEqual({ name: 'dshm', empty_dir: { medium: 'Memory', size_limit: '8Gi' } });
    expect(byName(pod.init_container, 'train').volume_mount).toContainEqual({ name: 'dshm', mount_path: '/dev/shm' });
  });

  it('has no distributed objects or env for a single worker', () => {
    const { json: j } = synthJob(BASE);
    const serviceNames = Object.values(resourcesOf(j, 'kubernetes_service_v1')).map((s: any) => s.metadata.name);
    expect(serviceNames).toContain('mlflow'); // the query works...
    expect(serviceNames).not.toContain('churn-workers'); // ...and finds no headless Service
    expect(jobOf(j).spec.completion_mode).toBeUndefined();
    const pod1 = jobOf(j).spec.template.spec;
    expect(pod1.subdomain).toBeUndefined();
    expect(envOf(byName(pod1.container, 'train')).MASTER_ADDR).toBeUndefined();
  });
});

describe('rankZeroOnly wrapper (run by sh)', () => {
  const sh = requireTool('sh', ['-c', 'true']);
  const run = (index: string | undefined, cmd: string[]) => {
    const [file, ...args] = rankZeroOnly(cmd);
    const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
    if (index !== undefined) env.JOB_COMPLETION_INDEX = index;
    return spawnSync(file!, args, { env, encoding: 'utf8' });
  };
  itWithTool(sh, 'runs the command on rank 0 with its arguments and exit code', () => {
    const r = run('0', ['sh', '-c', 'echo "$1 $2"; exit 3', 'x', 'a b', 'c']);
    expect(r.stdout.trim()).toBe('a b c');
    expect(r.status).toBe(3);
  });
  itWithTool(sh, 'runs the command when there is no completion index (single pod)', () => {
    expect(run(undefined, ['sh', '-c', 'exit 2']).status).toBe(2);
  });
  itWithTool(sh, 'skips the command with exit 0 on other ranks', () => {
    const r = run('3', ['sh', '-c', 'echo STEP-EXECUTED; exit 1']);
    expect(r.status).toBe(0);
    expect(r.stdout).not.toContain('STEP-EXECUTED');
    expect(r.stdout).toContain('rank 3');
  });
});

describe('TrainingJob: secure defaults', () => {
  const shapes: [string, Props][] = [
    ['one-off', BASE],
    ['scheduled GPU with steps', {
      ...BASE, schedule: '0 0 * * 0', gpus: 1, scratch: { sizeLimit: '100Gi' },
      dataValidation: { command: ['python', 'validate.py'] },
      promotionGate: { metric: 'auc', direction: 'higher_is_better', threshold: 0.8, modelName: 'churn' },
    }],
    ['distributed', { ...BASE, workers: 2, promotionGate: { metric: 'auc', direction: 'higher_is_better', threshold: 0.8, modelName: 'churn' } }],
  ];
  for (const [label, props] of shapes) {
    it(`${label}: every container is non-root, read-only, unprivileged, with a memory limit`, () => {
      const { json } = synthJob(props);
      const mine = allContainers(json).filter((c) => c.where.includes('.Train_'));
      expect(mine.length).toBeGreaterThan(0);
      expect(secureDefaultViolations(json)).toEqual([]);
      for (const { where, pod, container } of mine) {
        expect(pod.restart_policy, where).toBe('Never');
        expect(container.volume_mount.map((m: any) => m.mount_path), where).toEqual(expect.arrayContaining(['/tmp', '/mlops/run']));
      }
    });
  }

  it('mounts the scratch volume with its size limit', () => {
    const { json } = synthJob({ ...BASE, scratch: { sizeLimit: '100Gi' } });
    const pod = jobOf(json).spec.template.spec;
    expect(pod.volume).toContainEqual({ name: 'scratch', empty_dir: { size_limit: '100Gi' } });
    expect(byName(pod.container, 'train').volume_mount).toContainEqual({ name: 'scratch', mount_path: '/scratch' });
  });
});

describe('TrainingJob: artifact store and cloud identity', () => {
  const onS3 = (props: Partial<TrainingJobProps>) => {
    let job!: TrainingJob;
    const out = synthStack((stack) => {
      new AwsProvider(stack, 'Aws', { region: 'eu-west-1' });
      const cloud = new AwsPodIdentity(stack, 'PodIdentity', { clusterName: 'prod' });
      const artifactStore = new S3ArtifactStore(stack, 'Artifacts', { bucketName: 'acme-mlops-artifacts', accessLogs: { bucketName: 'acme-access-logs' } });
      const platform = new MlopsPlatform(stack, 'Platform', { artifactStore, cloudIdentity: cloud });
      job = new TrainingJob(stack, 'Train', { platform, ...BASE, ...props });
    });
    return { ...out, job };
  };

  it('on S3, gets no store access by default: runs and models go through the tracking server', () => {
    const { json } = onS3({});
    expect(Object.keys(resourcesOf(json, 'aws_iam_policy')).filter((id) => id.includes('TrainingArtifacts'))).toEqual([]);
    expect(jobOf(json).spec.template.metadata.labels['mlops.cdktf.io/object-store-client']).toBeUndefined();
  });

  it('on S3 with pod identity: grants the training role read access to a prefix, opens store and credential egress', () => {
    const { json, job } = onS3({ artifactAccess: 'read', artifactPrefix: 'datasets/churn/' });
    const k8sJob = jobOf(json);
    expect(k8sJob.spec.template.metadata.labels['mlops.cdktf.io/object-store-client']).toBe('true');
    expect(envOf(byName(k8sJob.spec.template.spec.container, 'train'))).toMatchObject({ AWS_REGION: expect.any(String) });
    const policies = Object.entries(resourcesOf(json, 'aws_iam_policy')).filter(([id]) => id.includes('TrainingArtifacts'));
    expect(policies).toHaveLength(1);
    expect(policies[0]![1].description).toMatch(/^read on s3:\/\/.*\/mlflow\/datasets\/churn\/\* for training workload/);
    // Egress through the namespace's shared policies, each selecting the pods that carry its label.
    const podLabels = k8sJob.spec.template.metadata.labels;
    const selecting = policiesSelecting(json, podLabels).map((np) => np.metadata.name);
    expect(selecting).toContain('allow-object-store-egress');
    expect(resourceNamed(json, 'kubernetes_network_policy_v1', 'allow-object-store-egress').spec.pod_selector.match_labels).toEqual({ 'egress.mlops.cdktf.io/object-store': 'allow' });
    expect(podLabels).toMatchObject(job.podLabels);
    const credentialPolicies = selecting.filter((n: string) => n !== 'allow-object-store-egress' && n.endsWith('-egress'));
    expect(credentialPolicies.length).toBeGreaterThan(0);
    const assoc = Object.values(resourcesOf(json, 'aws_eks_pod_identity_association')).map((a: any) => a.service_account);
    expect(assoc).toContain('churn-training');
  });

  it('mounts the volume store (pinned to the tracking server node) only when asked', () => {
    const { json } = synthJob({ ...BASE, artifactAccess: 'read' });
    const pod = jobOf(json).spec.template.spec;
    expect(pod.volume).toContainEqual(expect.objectContaining({ name: 'artifacts' }));
    expect(byName(pod.container, 'train').volume_mount).toContainEqual({ name: 'artifacts', mount_path: '/mnt/artifacts', read_only: true });
    expect(pod.affinity.pod_affinity).toBeDefined();
  });

  it('adds extra egress targets', () => {
    const { json } = synthJob({ ...BASE, extraEgress: [{ name: 'warehouse', to: [{ cidr: '10.20.0.0/16' }], ports: [{ port: 5432 }] }] });
    const np = resourceNamed(json, 'kubernetes_network_policy_v1', 'allow-warehouse-egress');
    expect(np.spec.egress).toEqual([{ to: [{ ip_block: { cidr: '10.20.0.0/16' } }], ports: [{ port: '5432', protocol: 'TCP' }] }]);
    expect(jobOf(json).spec.template.metadata.labels['egress.mlops.cdktf.io/warehouse']).toBe('allow');
  });
});

describe('TrainingJob: validation errors name the prop', () => {
  it('rejects a 4-field cron', () => expectError({ ...BASE, schedule: '0 0 * *' }, 'schedule', /4 fields/));
  it('rejects a 6-field cron', () => expectError({ ...BASE, schedule: '0 0 0 * * 0' }, 'schedule', /6 fields/));
  it('rejects a negative GPU count', () => expectError({ ...BASE, gpus: -1 }, 'gpus', /0 or more/));
  it('rejects a fractional GPU count', () => expectError({ ...BASE, gpus: 0.5 }, 'gpus', /whole number/));
  it('rejects workers < 1', () => expectError({ ...BASE, workers: 0 }, 'workers', /at least 1/));
  it('rejects an image without a tag', () => expectError({ ...BASE, image: 'ghcr.io/acme/churn-train' }, 'image', /no tag/));
  it('rejects an image tagged latest', () => expectError({ ...BASE, image: 'ghcr.io/acme/churn-train:latest' }, 'image', /latest/));
  it('rejects a validation image tagged latest', () =>
    expectError({ ...BASE, dataValidation: { command: ['x'], image: 'python:latest' } }, 'dataValidation.image', /latest/));
  it('rejects an unknown prop', () => expectError({ ...BASE, gpu: 1 } as Props, 'gpu', /unknown prop "gpu".*gpus/));
  it('rejects an unknown gate prop', () =>
    expectError({ ...BASE, promotionGate: { metric: 'auc', direction: 'higher_is_better', threshold: 1, modelName: 'm', treshold: 1 } as any }, 'promotionGate.treshold', /unknown prop/));
  it('rejects a gate without a model name', () =>
    expectError({ ...BASE, promotionGate: { metric: 'auc', direction: 'higher_is_better', threshold: 0.8 } }, 'promotionGate.modelName', /model prop/));
  it('rejects a bad gate direction', () =>
    expectError({ ...BASE, model: 'm', promotionGate: { metric: 'auc', direction: 'up' as any, threshold: 0.8 } }, 'promotionGate.direction'));
  it('rejects a reserved alias', () =>
    expectError({ ...BASE, model: 'm', promotionGate: { metric: 'auc', direction: 'higher_is_better', threshold: 0.8, alias: 'latest' } }, 'promotionGate.alias', /reserved/));
  it('rejects a non-finite threshold', () =>
    expectError({ ...BASE, model: 'm', promotionGate: { metric: 'auc', direction: 'higher_is_better', threshold: Number.NaN } }, 'promotionGate.threshold'));
  it('rejects an empty command', () => expectError({ ...BASE, command: [] }, 'command', /at least one/));
  it('rejects a name too long for its suffixes', () => expectError({ ...BASE, name: 'x'.repeat(41) }, 'name', /40 characters/));
  it('rejects GPUs given in resources', () => expectError({ ...BASE, resources: { cpu: '1', memory: '1Gi', gpus: 1 } }, 'resources.gpus', /gpus prop/));
  it('rejects a time zone without schedule', () => expectError({ ...BASE, timeZone: 'UTC' }, 'timeZone', /schedule/));
  it('rejects schedule-only limits on a one-off job', () => expectError({ ...BASE, startingDeadlineSeconds: 10 }, 'startingDeadlineSeconds', /schedule/));
  it('rejects masterPort on a single worker', () => expectError({ ...BASE, masterPort: 23456 }, 'masterPort', /workers > 1/));
  it('rejects env that overrides injected env', () => expectError({ ...BASE, env: { MLFLOW_TRACKING_URI: 'http://x' } }, 'env.MLFLOW_TRACKING_URI', /set by the TrainingJob/));
  it('rejects distributed env overrides when distributed', () => expectError({ ...BASE, workers: 2, env: { WORLD_SIZE: '8' } }, 'env.WORLD_SIZE'));
  it('rejects a variable in env and secretEnv', () =>
    expectError({ ...BASE, env: { TOKEN: 'a' }, secretEnv: { TOKEN: { secretName: 's', key: 'k' } } }, 'secretEnv.TOKEN', /also in env/));
  it('rejects a memory quantity that is not one', () => expectError({ ...BASE, scratch: { sizeLimit: '10GB' } }, 'scratch.sizeLimit'));
});

describe('TrainingJob: with the real Monitoring', () => {
  // createNamespace: false because Monitoring's watch validation rejects the namespace token the
  // tracking server registers with when the platform creates the namespace (reported to the lead).
  it('registers rules for the CronJob', () => {
    const { json } = synthStack((stack) => {
      const monitoring = new Monitoring(stack, 'Monitoring');
      const platform = new MlopsPlatform(stack, 'Platform', { monitoring, createNamespace: false });
      new TrainingJob(stack, 'Train', { platform, ...BASE, schedule: '0 0 * * 0', model: 'churn' });
    });
    const values = JSON.stringify(resourcesOf(json, 'helm_release'));
    // The fleet-wide rules join on the job's objective series: its CronJob, training, model and allowed gap.
    expect(values.replace(/\\/g, '')).toContain('"record":"mlops:training_cronjob_retrain_after_seconds","expr":"vector(907200)","labels":{"namespace":"mlops","cronjob":"churn","training":"churn","model":"churn","severity":"warning","period":"1w"}');
  });
});

describe('TrainingJob: construct ids', () => {
  it('keeps the ids of its children (renaming one replaces the object)', () => {
    const { json } = synthJob({ ...BASE, schedule: '@daily', workers: 2, promotionGate: { metric: 'a', direction: 'higher_is_better', threshold: 1, modelName: 'm' } });
    const ids = (type: string) => Object.keys(resourcesOf(json, type)).filter((id) => id.startsWith('Train_'));
    expect(ids('kubernetes_cron_job_v1')).toEqual([expect.stringMatching(/^Train_[0-9A-F]{8}$/)]) // the primary child, id 'Resource';
    expect(ids('kubernetes_service_account_v1')).toEqual([expect.stringMatching(/^Train_Identity_/)]);
    expect(ids('kubernetes_service_v1')).toEqual([expect.stringMatching(/^Train_Workers_/)]);
    // The gate program is shared by the namespace's training jobs: no ConfigMap of the job's own.
    expect(ids('kubernetes_config_map_v1')).toEqual([]);
    expect(Object.keys(resourcesOf(json, 'kubernetes_config_map_v1'))).toContainEqual(expect.stringMatching(/^Platform_Namespace_Program-promotion-gate_[0-9A-F]{8}$/));
  });
});

describe('TrainingJob: shape', () => {
  it('matches the snapshot of a scheduled GPU job with validation and a gate', () => {
    const { json } = synthJob({
      ...BASE, schedule: '0 0 * * 0', gpus: 1, model: 'churn',
      dataValidation: { command: ['python', 'validate.py'] },
      promotionGate: { metric: 'val_auc', direction: 'higher_is_better', threshold: 0.85 },
    });
    const cron = { ...cronOf(json) };
    // The gate script has its own tests; keep the snapshot readable.
    const shipped = resourceNamed(json, 'kubernetes_config_map_v1', 'mlops-program-promotion-gate');
    const cm = { ...shipped, data: Object.fromEntries(Object.keys(shipped.data).map((name) => [name, '<file>'])) };
    expect({ cron, cm }).toMatchSnapshot();
  });
});

describe('TrainingJob: artifact prefix validation', () => {
  it('rejects a prefix without access', () => {
    expect(() => synthJob({ ...BASE, artifactPrefix: 'datasets/churn/' })).toThrow(/artifactPrefix: got "datasets\/churn\/" without artifactAccess/);
  });
  it.each(['/datasets/', 'datasets/*', 'datasets'])('rejects artifactPrefix %s naming the prop', (artifactPrefix) => {
    expect(() => synthJob({ ...BASE, artifactAccess: 'read', artifactPrefix })).toThrow(/artifactPrefix: got/);
  });
});

describe('TrainingJob: promotion gate conditions and drift block', () => {
  const FAIRNESS = { metric: 'fairness_disparity', direction: 'lower_is_better' as const, threshold: 0.1 };
  const gateEnv = (json: any) => envOf(byName(jobOf(json).spec.template.spec.container, 'promotion-gate'));
  const withSink = (pushgatewayUrl?: string) => ({ monitoring: { ...recordingSink(), pushgatewayUrl } });

  it('passes extra conditions as GATE_CONDITIONS beside the single-metric shorthand', () => {
    const { json } = synthJob({ ...BASE, model: 'churn', promotionGate: { metric: 'accuracy', direction: 'higher_is_better', threshold: 0.9, conditions: [FAIRNESS] } });
    const env = gateEnv(json);
    expect(env).toMatchObject({ GATE_METRIC: 'accuracy', GATE_DIRECTION: 'higher_is_better', GATE_THRESHOLD: '0.9', GATE_ALIAS: 'champion' });
    expect(JSON.parse(env.GATE_CONDITIONS)).toEqual([FAIRNESS]);
    expect(env.GATE_BLOCK_ON_DRIFT).toBeUndefined();
  });

  it('conditions alone are enough; the shorthand stays out of the env', () => {
    const { json } = synthJob({ ...BASE, model: 'churn', promotionGate: { conditions: [{ metric: 'auc', direction: 'higher_is_better', threshold: 0.8 }, FAIRNESS] } });
    const env = gateEnv(json);
    expect(env.GATE_METRIC).toBeUndefined();
    expect(JSON.parse(env.GATE_CONDITIONS)).toHaveLength(2);
  });

  it('rejects an incomplete shorthand, no condition at all, and metric keys MLflow would refuse', () => {
    expectError({ ...BASE, model: 'churn', promotionGate: { metric: 'accuracy', direction: 'higher_is_better' } as any }, 'promotionGate.threshold', /metric, direction and threshold together/);
    expectError({ ...BASE, model: 'churn', promotionGate: {} as any }, 'promotionGate', /at least one condition/);
    expectError({ ...BASE, model: 'churn', promotionGate: { conditions: [] } }, 'promotionGate.conditions', /at least one/);
    expectError({ ...BASE, model: 'churn', promotionGate: { conditions: [{ ...FAIRNESS, metric: '${var.x}' }] } }, 'promotionGate.conditions[0].metric', /MLflow metric key/);
    expectError({ ...BASE, model: 'churn', promotionGate: { conditions: [{ ...FAIRNESS, threshold: Number.POSITIVE_INFINITY }] } }, 'promotionGate.conditions[0].threshold', /finite/);
  });

  it('blockOnDrift reads the drift verdict from the platform Pushgateway, with egress to it only', () => {
    const url = 'http://pushgateway.monitoring.svc.cluster.local:9091';
    const { json } = synthJob({ ...BASE, model: 'churn', promotionGate: { metric: 'accuracy', direction: 'higher_is_better', threshold: 0.9, blockOnDrift: true } }, withSink(url));
    expect(gateEnv(json)).toMatchObject({ GATE_BLOCK_ON_DRIFT: 'true', GATE_DRIFT_METRICS_URL: url, GATE_DRIFT_NAMESPACE: 'mlops', GATE_DRIFT_MODEL: 'churn' });
    const np = resourceNamed(json, 'kubernetes_network_policy_v1', 'allow-pushgateway-egress');
    expect(np.spec.egress).toEqual([{ to: [{ namespace_selector: { match_labels: { 'kubernetes.io/metadata.name': 'monitoring' } }, pod_selector: {} }], ports: [{ port: '9091', protocol: 'TCP' }] }]);
    expect(jobOf(json).spec.template.metadata.labels['egress.mlops.cdktf.io/pushgateway']).toBe('allow');
  });

  it('driftModel names the DriftMonitor model when it differs from the registered model', () => {
    const { json } = synthJob(
      { ...BASE, promotionGate: { metric: 'accuracy', direction: 'higher_is_better', threshold: 0.9, modelName: 'Churn-Model', blockOnDrift: true, driftModel: 'churn' } },
      withSink('http://pushgateway.monitoring.svc.cluster.local:9091'),
    );
    expect(gateEnv(json)).toMatchObject({ GATE_MODEL_NAME: 'Churn-Model', GATE_DRIFT_MODEL: 'churn' });
  });

  it('blockOnDrift needs a platform with a Pushgateway; driftModel needs blockOnDrift', () => {
    const noGateway = () => synthJob({ ...BASE, model: 'churn', promotionGate: { metric: 'a', direction: 'higher_is_better', threshold: 1, blockOnDrift: true } }, withSink(undefined));
    expect(noGateway).toThrow(ValidationError);
    expect(noGateway).toThrow(/promotionGate\.blockOnDrift.*Pushgateway/s);
    expectError({ ...BASE, model: 'churn', promotionGate: { metric: 'a', direction: 'higher_is_better', threshold: 1, driftModel: 'churn' } }, 'promotionGate.driftModel', /blockOnDrift/);
  });

  itWithTool(requireTool('/usr/bin/python3', ['--version']), 'the gate program reads the synthesized env: conditions, alias and drift block', () => {
    const url = 'http://pushgateway.monitoring.svc.cluster.local:9091';
    const { json } = synthJob(
      { ...BASE, model: 'churn', promotionGate: { metric: 'accuracy', direction: 'higher_is_better', threshold: 0.9, conditions: [FAIRNESS], alias: 'challenger', blockOnDrift: true } },
      withSink(url),
    );
    const env = Object.fromEntries(Object.entries(gateEnv(json)).filter(([, v]) => typeof v === 'string')) as Record<string, string>;
    const code = [
      'import json, os, sys',
      `sys.path.insert(0, ${JSON.stringify(join(__dirname, '../../lib/training/scripts'))})`,
      'import gate_config',
      'c = gate_config.load_config(os.environ)',
      'print(json.dumps({"conditions": [list(x) for x in c.conditions], "alias": c.alias, "drift": list(c.drift_block)}))',
    ].join('\n');
    const res = spawnSync('/usr/bin/python3', ['-c', code], { encoding: 'utf8', env: { ...env, MLFLOW_TRACKING_URI: 'http://mlflow.mlops.svc.cluster.local:5000' } });
    expect(res.stderr).toBe('');
    expect(JSON.parse(res.stdout)).toEqual({
      conditions: [['accuracy', 'higher_is_better', 0.9], ['fairness_disparity', 'lower_is_better', 0.1]],
      alias: 'challenger',
      drift: [url, 'churn', 'mlops'],
    });
  });
});
