import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { ConfigMapV1 } from '@cdktf/provider-kubernetes/lib/config-map-v1';
import { MlopsNamespace } from '../../lib/cluster/mlops-namespace';
import { MlopsPlatform } from '../../lib/platform/mlops-platform';
import { AwsPodIdentity } from '../../lib/aws/aws-pod-identity';
import { S3ArtifactStore } from '../../lib/aws/s3-artifact-store';
import { DriftMonitor } from '../../lib/drift/drift-monitor';
import { ValidationError } from '../../lib/core/errors';
import { spreadSchedule } from '../../lib/core/cron';
import type { DriftWatch } from '../../lib/core/observability';
import type { IMlopsPlatform } from '../../lib/platform/platform-context';
import { resourcesOf, resourceNamed, synthStack, type SynthesizedJson } from '../../lib/testing';
import { requirePython, itWithTool } from '../support/tools';
import { CHURN, programFileNames, RecordingSink, SCRIPTS, synthDrift, validatedByProgram, type MonitorProps } from './support';
import { addClusterProviders } from '../support/providers';
import { policiesSelecting, workloadsSelectedBy } from '../support/network-policies';

const cronJobOf = (json: SynthesizedJson) => resourceNamed(json, 'kubernetes_cron_job_v1', 'churn-drift');
const podOf = (json: SynthesizedJson) => cronJobOf(json).spec.job_template.spec.template.spec;
const configOf = (json: SynthesizedJson) => JSON.parse(resourceNamed(json, 'kubernetes_config_map_v1', 'churn-drift-config').data['config.json']);
const podLabelsOf = (json: SynthesizedJson) => cronJobOf(json).spec.job_template.spec.template.metadata.labels as Record<string, string>;
/** The policies written for the drift pods (not the namespace-wide default deny and DNS, which select all). */
const policiesOf = (json: SynthesizedJson) => policiesSelecting(json, podLabelsOf(json));
const RETRAIN = { retrain: { trainingJob: { cronJobName: 'churn-train' } } };

describe('DriftMonitor CronJob', () => {
  const { json, sink, monitor } = synthDrift();
  const cron = cronJobOf(json);
  const pod = podOf(json);
  const [container] = pod.container;

  it('runs daily in the 02:00 hour, at a minute picked from its name, with Forbid concurrency, deadlines and bounded history', () => {
    expect(cron.spec.schedule).toMatch(/^\d{1,2} 2 \* \* \*$/);
    expect(cron.spec.schedule).toBe(spreadSchedule('H 2 * * *', 'mlops/churn-drift'));
    expect(monitor.schedule).toBe(cron.spec.schedule);
    expect(cron.spec).toMatchObject({
      concurrency_policy: 'Forbid',
      starting_deadline_seconds: 3600,
      successful_jobs_history_limit: 3,
      failed_jobs_history_limit: 3,
    });
    expect(cron.spec.job_template.spec).toMatchObject({ active_deadline_seconds: 3600, backoff_limit: 1 });
    expect(pod.restart_policy).toBe('Never');
  });

  it('does not retry failures a retry cannot fix or would count twice, and ignores evictions', () => {
    expect(cron.spec.job_template.spec.pod_failure_policy.rule).toEqual([
      { action: 'Ignore', on_pod_condition: [{ type: 'DisruptionTarget', status: 'True' }] },
      // 10 (insufficient data) too: a retry reads the same window, and must not count the run twice.
      { action: 'FailJob', on_exit_codes: { container_name: 'drift-check', operator: 'In', values: [1, 2, 3, 4, 5, 7, 10] } },
    ]);
  });

  it('runs the mounted program in the pinned MLflow image with the secure defaults and no token', () => {
    expect(container.image).toBe('ghcr.io/mlflow/mlflow:v3.17.0-full');
    expect(container.command).toEqual(['python', '/opt/mlops/drift/drift_check.py']);
    expect(container.args).toEqual(['--config', '/etc/mlops/drift/config.json']);
    expect(container.env).toEqual(expect.arrayContaining([
      { name: 'DRIFT_CONFIG', value: '/etc/mlops/drift/config.json' },
      { name: 'HOME', value: '/tmp' },
    ]));
    expect(container.security_context).toMatchObject({ read_only_root_filesystem: true, allow_privilege_escalation: false });
    expect(pod.security_context).toMatchObject({ run_as_non_root: true, seccomp_profile: { type: 'RuntimeDefault' } });
    expect(container.resources).toEqual({ requests: { cpu: '250m', memory: '1Gi' }, limits: { memory: '1Gi' } });
    expect(pod.automount_service_account_token).toBe(false);
    expect(pod.service_account_name).toContain('ChurnDrift_Identity');
    expect(JSON.stringify(cron)).not.toContain('pip install');
  });

  it('mounts the data directories read-only and only the report directory read-write', () => {
    const artifactMounts = container.volume_mount.filter((m: any) => m.name === 'artifacts');
    expect(artifactMounts).toEqual([
      { name: 'artifacts', mount_path: '/mnt/artifacts/datasets/churn', sub_path: 'datasets/churn', read_only: true },
      { name: 'artifacts', mount_path: '/mnt/artifacts/inference-logs/churn', sub_path: 'inference-logs/churn', read_only: true },
      { name: 'artifacts', mount_path: '/mnt/artifacts/drift/churn', sub_path: 'drift/churn', read_only: false },
    ]);
    // One claim, writable at the volume level so the report mount can write; the mounts decide.
    const claims = pod.volume.filter((v: any) => v.persistent_volume_claim);
    expect(claims).toHaveLength(1);
    expect(claims[0].persistent_volume_claim.read_only).toBe(false);
    // ReadWriteOnce volume: placed on the tracking server's node.
    expect(pod.affinity.pod_affinity.required_during_scheduling_ignored_during_execution[0].topology_key).toBe('kubernetes.io/hostname');
    expect(container.volume_mount).toEqual(expect.arrayContaining([
      { name: 'program', mount_path: '/opt/mlops/drift', read_only: true },
      { name: 'config', mount_path: '/etc/mlops/drift', read_only: true },
      { name: expect.stringMatching(/^scratch-/), mount_path: '/tmp' },
    ]));
  });

  it('the program ConfigMap holds exactly the tested files from lib/: drift_check.py and every drift_*.py module', () => {
    const program = resourceNamed(json, 'kubernetes_config_map_v1', 'mlops-program-drift-check');
    const names = programFileNames();
    expect(names).toContain('drift_check.py');
    expect(names).toContain('drift_stats.py');
    expect(Object.keys(program.data)).toEqual(names);
    for (const name of names) expect(program.data[name]).toBe(readFileSync(join(SCRIPTS, name), 'utf8'));
    const volume = pod.volume.find((v: any) => v.name === 'program');
    expect(volume.config_map.name).toContain('Namespace_Program-drift-check');
  });

  it('config.json carries the store URIs, thresholds, report prefix and Pushgateway', () => {
    expect(configOf(json)).toEqual({
      model: 'churn',
      reference: '/mnt/artifacts/datasets/churn/reference.parquet',
      current: '/mnt/artifacts/inference-logs/churn/latest.csv',
      format: 'auto',
      features: CHURN.features,
      psiThreshold: 0.1,
      ksPValue: 0.05,
      ksStatistic: 0.1,
      chi2PValue: 0.05,
      cramersV: 0.1,
      driftShareThreshold: 0.3,
      sampleRows: 5000,
      seed: 42,
      bins: 10,
      minRows: 270,
      missingShareThreshold: 0.1,
      newCategoryShareThreshold: 0.01,
      reportUri: '/mnt/artifacts/drift/churn/',
      pushgatewayUrl: 'http://pushgateway.monitoring.svc.cluster.local:9091',
      namespace: 'mlops',
    });
    expect(monitor.reportUri).toBe('/mnt/artifacts/drift/churn/');
  });

  itWithTool(requirePython('numpy', 'pandas'), 'the program accepts the synthesized config.json', () => {
    for (const built of [json, synthDrift(RETRAIN).json]) {
      expect(validatedByProgram(configOf(built), 'cfg["reportUri"]')).toBe('/mnt/artifacts/drift/churn/');
    }
  });

  it('minRows defaults to 3 (bins - 1) / psiThreshold, as the program derives it; given values pass through', () => {
    expect(configOf(synthDrift({ bins: 5, psiThreshold: 0.2 }).json).minRows).toBe(60);
    expect(configOf(synthDrift({ bins: 20, psiThreshold: 0.25 }).json).minRows).toBe(228);
    const given = configOf(synthDrift({ minRows: 1000, missingShareThreshold: 0.3, newCategoryShareThreshold: 0.05 }).json);
    expect(given).toMatchObject({ minRows: 1000, missingShareThreshold: 0.3, newCategoryShareThreshold: 0.05 });
  });

  itWithTool(requirePython('numpy', 'pandas'), 'the default minRows is the one the program derives from bins and psiThreshold', () => {
    for (const props of [{}, { bins: 5, psiThreshold: 0.2 }, { bins: 20, psiThreshold: 0.25 }, { bins: 7, psiThreshold: 0.3 }]) {
      const config = configOf(synthDrift(props).json);
      const { minRows, ...rest } = config;
      expect(validatedByProgram(rest, 'cfg["minRows"]')).toBe(minRows);
    }
  });

  it('registers a drift watch: daily period, 48h sustained (2 runs), the features', () => {
    expect(sink!.drift).toEqual([
      {
        kind: 'drift', model: 'churn', namespace: 'mlops', cronJobName: 'churn-drift',
        schedulePeriodSeconds: 86400, sustainedForSeconds: 172800, features: ['age', 'income', 'country'], severity: 'warning',
      } satisfies Partial<DriftWatch> & Record<string, unknown>,
    ]);
  });

  it('allows egress to the Pushgateway only, without retrain (volume store: no object-store egress)', () => {
    const names = policiesOf(json).map((r: any) => r.metadata.name);
    // One policy per target, shared by the namespace's drift monitors: their pods carry its label.
    expect(names).toEqual(['allow-pushgateway-egress']);
    const [policy] = policiesOf(json) as any[];
    expect(policy.spec.pod_selector.match_labels).toEqual({ 'egress.mlops.cdktf.io/pushgateway': 'allow' });
    expect(workloadsSelectedBy(json, policy)).toEqual(['churn-drift']);
    expect(policy.spec.egress).toEqual([
      {
        to: [{ namespace_selector: { match_labels: { 'kubernetes.io/metadata.name': 'monitoring' } }, pod_selector: {} }],
        ports: [{ port: '9091', protocol: 'TCP' }],
      },
    ]);
  });

  it('has no Role, no binding and no retrain config without retrain', () => {
    expect(resourcesOf(json, 'kubernetes_role_v1')).toEqual({});
    expect(resourcesOf(json, 'kubernetes_role_binding_v1')).toEqual({});
    expect(configOf(json).retrain).toBeUndefined();
  });

  it('omits the Pushgateway (URL and egress) when monitoring has none, and the watch when there is no monitoring', () => {
    const noGateway = synthDrift({}, new RecordingSink({}));
    expect(configOf(noGateway.json).pushgatewayUrl).toBeUndefined();
    expect(policiesOf(noGateway.json)).toEqual([]);
    expect(noGateway.sink!.drift).toHaveLength(1);
    const none = synthDrift({}, null);
    expect(configOf(none.json).pushgatewayUrl).toBeUndefined();
  });

  it('shape', () => {
    const { data: _program, ...rest } = resourceNamed(json, 'kubernetes_config_map_v1', 'mlops-program-drift-check');
    expect({ cronJob: cron, programMetadata: rest }).toMatchSnapshot();
  });
});

describe('DriftMonitor retraining', () => {
  const { json, sink } = synthDrift({ ...RETRAIN, schedule: '0 */6 * * *', timeZone: 'Europe/Berlin' });
  const pod = podOf(json);

  it('a Role with exactly get on the one training CronJob and create on Jobs', () => {
    const roles = Object.values(resourcesOf(json, 'kubernetes_role_v1')) as any[];
    expect(roles).toHaveLength(1);
    expect(roles[0].metadata.name).toBe('churn-drift-retrain');
    expect(roles[0].metadata.namespace).toContain('Platform_Namespace');
    expect(roles[0].rule).toEqual([
      { api_groups: ['batch'], resources: ['cronjobs'], resource_names: ['churn-train'], verbs: ['get'] },
      { api_groups: ['batch'], resources: ['jobs'], verbs: ['create'] },
    ]);
  });

  it('bound to the drift monitor service account only', () => {
    const bindings = Object.values(resourcesOf(json, 'kubernetes_role_binding_v1')) as any[];
    expect(bindings).toHaveLength(1);
    expect(bindings[0].role_ref).toEqual({ api_group: 'rbac.authorization.k8s.io', kind: 'Role', name: expect.stringContaining('ChurnDrift_RetrainRole') });
    expect(bindings[0].subject).toEqual([
      { kind: 'ServiceAccount', name: expect.stringContaining('ChurnDrift_Identity'), namespace: expect.stringContaining('Platform_Namespace') },
    ]);
    expect(pod.service_account_name).toBe(bindings[0].subject[0].name);
  });

  it('no cluster-wide RBAC anywhere', () => {
    const types = Object.keys(json.resource ?? {});
    expect(types.filter((t) => /cluster_role/.test(t))).toEqual([]);
  });

  it('mounts the token only here, and tells the program which CronJob after how many runs', () => {
    expect(pod.automount_service_account_token).toBe(true);
    expect(configOf(json).retrain).toEqual({ afterConsecutiveRuns: 2, cronJob: 'churn-train' });
  });

  it('takes the CronJob name of a TrainingJob as a Terraform reference (Role, config and dependency)', () => {
    const { json: built } = synthStack((stack) => {
      const platform = new MlopsPlatform(stack, 'Platform', {});
      const training = new ConfigMapV1(stack, 'StandInForTrainingCronJob', { metadata: { name: 'churn-train', namespace: 'mlops' } });
      new DriftMonitor(stack, 'ChurnDrift', { platform, ...CHURN, retrain: { trainingJob: { cronJobName: training.metadata.name } } });
    });
    const ref = '${kubernetes_config_map_v1.StandInForTrainingCronJob.metadata[0].name}';
    expect((Object.values(resourcesOf(built, 'kubernetes_role_v1'))[0] as any).rule[0].resource_names).toEqual([ref]);
    expect(configOf(built).retrain.cronJob).toBe(ref);
  });

  it('opens the API server (443 and 6443) to the drift pods only', () => {
    const api = policiesOf(json).find((r: any) => r.metadata.name === 'allow-api-server-egress') as any;
    expect(workloadsSelectedBy(json, api)).toEqual(['churn-drift']);
    expect(api.spec.egress).toEqual([{ to: [{ ip_block: { cidr: '0.0.0.0/0' } }], ports: [{ port: '443', protocol: 'TCP' }, { port: '6443', protocol: 'TCP' }] }]);
    const narrow = synthDrift({ ...RETRAIN, apiServer: { cidr: '172.18.0.2/32', ports: [6443] } });
    const narrowed = policiesOf(narrow.json).find((r: any) => r.metadata.name === 'allow-api-server-egress') as any;
    expect(narrowed.spec.egress).toEqual([{ to: [{ ip_block: { cidr: '172.18.0.2/32' } }], ports: [{ port: '6443', protocol: 'TCP' }] }]);
  });

  it('schedule, time zone and period reach the CronJob and the watch; sustained = runs x period', () => {
    expect(cronJobOf(json).spec).toMatchObject({ schedule: '0 */6 * * *', timezone: 'Europe/Berlin', starting_deadline_seconds: 3600 });
    expect(sink!.drift[0]).toMatchObject({ schedulePeriodSeconds: 21600, sustainedForSeconds: 43200 });
    const three = synthDrift({ retrain: { trainingJob: { cronJobName: 'churn-train' }, afterConsecutiveRuns: 3 }, sustainedFor: '36h' });
    expect(configOf(three.json).retrain.afterConsecutiveRuns).toBe(3);
    expect(three.sink!.drift[0]).toMatchObject({ sustainedForSeconds: 36 * 3600 });
  });

  it('spreads H per monitor: the fleet default and retraining.schedule pick a minute per CronJob name, a fixed schedule stays', () => {
    const { json: fleet } = synthStack((stack) => {
      addClusterProviders(stack);
      const platform = new MlopsPlatform(stack, 'Platform', { namespace: 'fleet', monitoring: false, retraining: { schedule: 'H H(1-4) * * *' } });
      for (let i = 0; i < 40; i++) platform.addDriftMonitor(`M${i}`, { ...CHURN, model: `model-${i}`, reference: `datasets/model-${i}/ref.parquet`, current: `inference-logs/model-${i}/` });
      platform.addDriftMonitor('Fixed', { ...CHURN, model: 'fixed', reference: 'datasets/fixed/ref.parquet', current: 'inference-logs/fixed/', schedule: '0 2 * * *' });
    });
    const schedules: Record<string, string> = Object.fromEntries(Object.values(resourcesOf(fleet, 'kubernetes_cron_job_v1')).map((c: any) => [c.metadata.name, c.spec.schedule]));
    expect(schedules['fixed-drift']).toBe('0 2 * * *');
    const spread = Object.entries(schedules).filter(([name]) => name !== 'fixed-drift');
    expect(spread).toHaveLength(40);
    for (const [name, schedule] of spread) {
      expect(schedule).toBe(spreadSchedule('H H(1-4) * * *', `fleet/${name}`));
      const [minute, hour, ...rest] = schedule.split(' ').map((f: string) => (f === '*' ? f : Number(f)));
      expect(hour).toBeGreaterThanOrEqual(1); expect(hour).toBeLessThanOrEqual(4);
      expect(minute).toBeLessThanOrEqual(59);
      expect(rest).toEqual(['*', '*', '*']);
    }
    // 40 monitors over 4 hours x 60 minutes: a few may share a minute by chance, not most (one fixed time would give 1).
    expect(new Set(spread.map(([, s]) => s)).size).toBeGreaterThan(35);
  });
});

describe('DriftMonitor on S3', () => {
  const { json } = synthStack((stack) => {
    new AwsProvider(stack, 'Aws', { region: 'eu-west-1' });
    addClusterProviders(stack);
    const namespace = new MlopsNamespace(stack, 'Namespace', { name: 'mlops', create: false });
    const store = new S3ArtifactStore(stack, 'Artifacts', { bucketName: 'acme-mlops', accessLogs: { bucketName: 'acme-logs' } });
    const cloudIdentity = new AwsPodIdentity(stack, 'PodIdentity', { clusterName: 'prod' });
    const platform: IMlopsPlatform = {
      instanceName: 'mlops', namespace, trackingUri: 'http://mlflow.mlops:5000', artifactStore: store, cloudIdentity,
      monitoring: new RecordingSink(), trackingClientEnv: () => [], trackingClientLabels: () => ({}),
    };
    new DriftMonitor(stack, 'ChurnDrift', { platform, ...CHURN, ...RETRAIN });
  });
  const pod = podOf(json);

  it('reads s3:// URIs and writes reports under the drift prefix', () => {
    const config = configOf(json);
    const bucket = 's3://${aws_s3_bucket.Artifacts_82DD59A1.bucket}/mlflow';
    expect(config.reference).toBe(`${bucket}/datasets/churn/reference.parquet`);
    expect(config.current).toBe(`${bucket}/inference-logs/churn/latest.csv`);
    expect(config.reportUri).toBe(`${bucket}/drift/churn/`);
  });

  it('grants read on the data prefixes and write only on the report prefix', () => {
    const docs = Object.values(resourcesOf(json, 'aws_iam_policy')) as any[];
    const descriptions = docs.map((d) => d.description).filter((d: string) => d.includes('drift')).sort();
    const grant = (access: string, prefix: string) =>
      `${access} on s3://\${aws_s3_bucket.Artifacts_82DD59A1.bucket}/mlflow/${prefix}/* for drift workload \${kubernetes_service_account_v1.ChurnDrift_Identity_A838E84B.metadata[0].name}`;
    expect(descriptions).toEqual([grant('read', 'datasets/churn'), grant('read', 'inference-logs/churn'), grant('readwrite', 'drift/churn')]);
  });

  it('mounts no volume but the program and config, and opens the object store and credential egress', () => {
    expect(pod.volume.map((v: any) => v.name)).toEqual(['program', 'config', 'scratch-0']);
    expect(pod.container[0].env.map((e: any) => e.name)).toContain('AWS_REGION');
    const names = policiesOf(json).map((r: any) => r.metadata.name).sort();
    expect(names).toEqual(expect.arrayContaining(['allow-object-store-egress', 'allow-pushgateway-egress', 'allow-api-server-egress']));
    expect(names.length).toBeGreaterThan(3); // plus the pod identity agent
  });
});

describe('DriftMonitor on inference logs', () => {
  const LOGS = { current: 'inference-logs/churn/', format: 'inference-log' as const, windowDays: 3 };
  const { json } = synthDrift(LOGS);
  const [container] = podOf(json).container;

  it('passes the log directory, format and window to the program', () => {
    expect(configOf(json)).toMatchObject({
      reference: '/mnt/artifacts/datasets/churn/reference.parquet',
      current: '/mnt/artifacts/inference-logs/churn/',
      format: 'inference-log',
      windowDays: 3,
    });
  });

  it('mounts the whole log directory read-only, the report directory read-write', () => {
    expect(container.volume_mount.filter((m: any) => m.name === 'artifacts')).toEqual([
      { name: 'artifacts', mount_path: '/mnt/artifacts/datasets/churn', sub_path: 'datasets/churn', read_only: true },
      { name: 'artifacts', mount_path: '/mnt/artifacts/inference-logs/churn', sub_path: 'inference-logs/churn', read_only: true },
      { name: 'artifacts', mount_path: '/mnt/artifacts/drift/churn', sub_path: 'drift/churn', read_only: false },
    ]);
  });

  it('format "auto" reads a current ending in "/" as inference logs, with a 7-day window by default', () => {
    const config = configOf(synthDrift({ current: 'inference-logs/churn/' }).json);
    expect(config).toMatchObject({ current: '/mnt/artifacts/inference-logs/churn/', format: 'auto', windowDays: 7 });
    expect(configOf(synthDrift({ ...LOGS, windowDays: undefined }).json).windowDays).toBe(7);
  });

  it('grants read on the whole log prefix on S3', () => {
    const { json: built } = synthStack((stack) => {
      new AwsProvider(stack, 'Aws', { region: 'eu-west-1' });
      addClusterProviders(stack);
      const namespace = new MlopsNamespace(stack, 'Namespace', { name: 'mlops', create: false });
      const store = new S3ArtifactStore(stack, 'Artifacts', { bucketName: 'acme-mlops', accessLogs: { bucketName: 'acme-logs' } });
      const platform: IMlopsPlatform = {
        instanceName: 'mlops', namespace, trackingUri: 'http://mlflow.mlops:5000', artifactStore: store,
        cloudIdentity: new AwsPodIdentity(stack, 'PodIdentity', { clusterName: 'prod' }),
        monitoring: new RecordingSink(), trackingClientEnv: () => [], trackingClientLabels: () => ({}),
      };
      new DriftMonitor(stack, 'ChurnDrift', { platform, ...CHURN, ...LOGS });
    });
    const bucket = 's3://${aws_s3_bucket.Artifacts_82DD59A1.bucket}/mlflow';
    expect(configOf(built).current).toBe(`${bucket}/inference-logs/churn/`);
    const descriptions = (Object.values(resourcesOf(built, 'aws_iam_policy')) as any[]).map((d) => d.description).filter((d: string) => d.includes('drift'));
    expect(descriptions.filter((d: string) => d.startsWith('read '))).toEqual([
      expect.stringContaining(`read on ${bucket}/datasets/churn/*`),
      expect.stringContaining(`read on ${bucket}/inference-logs/churn/*`),
    ]);
  });

  itWithTool(requirePython('numpy', 'pandas'), 'the program accepts the synthesized config.json', () => {
    for (const [props, windowDays] of [[LOGS, 3], [{ current: 'inference-logs/churn/' }, 7]] as const) {
      const out = validatedByProgram(configOf(synthDrift(props).json), '{"formats": drift_read.side_formats(cfg), "windowDays": cfg["windowDays"]}');
      expect(out).toEqual({ formats: ['parquet', 'inference-log'], windowDays });
    }
  });
});

describe('DriftMonitor validation', () => {
  const problem = (props: Partial<MonitorProps> & Record<string, unknown>): ValidationError => {
    try {
      synthDrift(props as Partial<MonitorProps>);
    } catch (e) {
      if (e instanceof ValidationError) return e;
      throw e;
    }
    throw new Error(`accepted ${JSON.stringify(props)}`);
  };
  const expectRejected = (props: Record<string, unknown>, propPath: string, text?: RegExp) => {
    const err = problem(props);
    expect(err.problems.map((p) => p.propPath)).toContain(propPath);
    expect(err.message).toContain('ChurnDrift');
    if (text) expect(err.message).toMatch(text);
  };

  it.each([
    [{ psiThreshold: 0 }, 'psiThreshold'],
    [{ psiThreshold: -0.1 }, 'psiThreshold'],
    [{ psiThreshold: Number.NaN }, 'psiThreshold'],
    [{ ksPValue: 0 }, 'ksPValue'],
    [{ ksPValue: 1 }, 'ksPValue'],
    [{ chi2PValue: 1.5 }, 'chi2PValue'],
    [{ ksStatistic: 2 }, 'ksStatistic'],
    [{ cramersV: -1 }, 'cramersV'],
    [{ driftShareThreshold: 0 }, 'driftShareThreshold'],
    [{ driftShareThreshold: 1.01 }, 'driftShareThreshold'],
    [{ sampleRows: 0 }, 'sampleRows'],
    [{ bins: 1 }, 'bins'],
    [{ minRows: 0 }, 'minRows'],
    [{ minRows: 2.5 }, 'minRows'],
    [{ minRows: 6000 }, 'minRows'],
    [{ minRows: 300, sampleRows: 200 }, 'minRows'],
    [{ missingShareThreshold: 0 }, 'missingShareThreshold'],
    [{ missingShareThreshold: 1.2 }, 'missingShareThreshold'],
    [{ newCategoryShareThreshold: Number.NaN }, 'newCategoryShareThreshold'],
    [{ newCategoryShareThreshold: -0.01 }, 'newCategoryShareThreshold'],
  ])('bad threshold %j names the prop', (props, propPath) => {
    expectRejected(props, propPath, /got /);
  });

  it('features must be named: none, empty name, duplicates', () => {
    expectRejected({ features: [] }, 'features', /at least one feature/);
    expectRejected({ features: [{ name: '', type: 'numeric' }] }, 'features[0].name');
    expectRejected({ features: [{ name: 'age' }, { name: 'age', type: 'categorical' }] }, 'features[1].name', /"age" twice/);
    expectRejected({ features: [{ name: 'age', type: 'text' }] }, 'features[0].type');
  });

  it.each(['0 25 * * *', 'every day', '* * * *', 'TZ=UTC 0 2 * * *'])('schedule %j is rejected', (schedule) => {
    expectRejected({ schedule }, 'schedule', /cron schedule/);
  });

  it('data paths must be store paths of a known format', () => {
    expectRejected({ reference: '' }, 'reference');
    expectRejected({ reference: 's3://bucket/ref.csv' }, 'reference', /inside the artifact store/);
    expectRejected({ current: '/mnt/artifacts/cur.csv' }, 'current');
    expectRejected({ current: '../secrets/cur.csv' }, 'current');
    expectRejected({ current: 'inference-logs/churn/latest.json' }, 'current', /format/);
    expect(() => synthDrift({ current: 'inference-logs/churn/latest.json', format: 'csv' })).not.toThrow();
    expectRejected({ reportPrefix: 'drift/churn' }, 'reportPrefix', /ending in "\/"/);
  });

  it('inference logs: a directory ending in "/", windowDays only with them, reference still a data file', () => {
    expectRejected({ current: 'inference-logs/churn', format: 'inference-log' }, 'current', /must be the inference-log directory, ending in "\/"/);
    expectRejected({ current: 'inference-logs/churn/', format: 'csv' }, 'current', /needs format "inference-log" or "auto"/);
    expectRejected({ current: 'inference-logs/churn/', format: 'parquet' }, 'current');
    expectRejected({ windowDays: 3 }, 'windowDays', /only applies to inference logs/);
    expectRejected({ current: 'inference-logs/churn/', windowDays: 0 }, 'windowDays', /at least 1/);
    expectRejected({ current: 'inference-logs/churn/', windowDays: 1.5 }, 'windowDays', /whole number/);
    expectRejected({ current: 'inference-logs/churn/', format: 'inference-log', reference: 'datasets/churn/ref.json' }, 'reference', /\.parquet/);
    expectRejected({ current: '/inference-logs/churn/', format: 'inference-log' }, 'current', /directory path ending in "\/"/);
    expectRejected({ current: 'inference-logs/../churn/', format: 'inference-log' }, 'current');
    expect(() => synthDrift({ current: 'inference-logs/churn/', format: 'inference-log', windowDays: 30 })).not.toThrow();
  });

  it('retraining needs a scheduled training job', () => {
    expectRejected({ retrain: { trainingJob: {} } }, 'retrain.trainingJob', /without cronJobName/);
    expectRejected({ retrain: { trainingJob: { cronJobName: 'Churn_Train' } } }, 'retrain.trainingJob.cronJobName');
    expectRejected({ retrain: { trainingJob: { cronJobName: 'churn-train' }, afterConsecutiveRuns: 0 } }, 'retrain.afterConsecutiveRuns');
  });

  it('model, name, time zone, sustainedFor, unknown props', () => {
    expectRejected({ model: 'Churn' }, 'model');
    expectRejected({ name: 'a'.repeat(53) }, 'name');
    expectRejected({ timeZone: 'CET+1 nonsense' }, 'timeZone');
    expectRejected({ sustainedFor: '2 days' }, 'sustainedFor');
    expectRejected({ threshold: 0.2 }, 'threshold', /allowed props here/);
  });
});
