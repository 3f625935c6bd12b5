import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { AwsPodIdentity, MlopsPlatform, S3ArtifactStore, ValidationError } from '../../lib';
import { synthStack } from '../../lib/testing';

/**
 * No prop is accepted and then silently ignored: for every optional prop of the workload constructs
 * (names read from the props interfaces with the compiler, so a new prop must get an entry here), a
 * valid value other than the default either changes the synthesized stack or is refused with a
 * ValidationError. A prop that has an effect only together with another gets that one in `with`.
 */
const ROOT = join(__dirname, '../..');

function propsOf(interfaceName: string): string[] {
  const program = ts.createProgram([join(ROOT, 'lib/index.ts')], { strict: true, skipLibCheck: true, noEmit: true });
  const checker = program.getTypeChecker();
  const index = checker.getSymbolAtLocation(program.getSourceFile(join(ROOT, 'lib/index.ts'))!)!;
  const sym = checker.getExportsOfModule(index).find((s) => s.name === interfaceName)!;
  return checker.getPropertiesOfType(checker.getDeclaredTypeOfSymbol(checker.getAliasedSymbol(sym))).map((p) => p.name);
}

type Value = unknown | { readonly value: unknown; readonly with: Record<string, unknown> };
const needs = (value: unknown, extra: Record<string, unknown>) => ({ value, with: extra });
const isNeeds = (v: Value): v is { value: unknown; with: Record<string, unknown> } => typeof v === 'object' && v !== null && 'with' in v && 'value' in v && Object.keys(v).length === 2;

const WORKLOAD: Record<string, Value> = {
  labels: { 'acme.com/team': 'risk' },
  annotations: { 'acme.com/owner': 'risk' },
  podLabels: { 'acme.com/mesh': 'on' },
  podAnnotations: { 'acme.com/scrape': 'true' },
  imagePullSecrets: ['acme-registry'],
  env: { ACME_REGION: 'eu' },
  secretEnv: { ACME_TOKEN: { secretName: 'acme', key: 'token' } },
  volumes: [{ name: 'acme', emptyDir: {} }],
  volumeMounts: needs([{ volume: 'acme', mountPath: '/etc/acme' }], { volumes: [{ name: 'acme', emptyDir: {} }] }),
  sidecars: [{ name: 'proxy', image: 'ghcr.io/acme/proxy:1.0.0' }],
  nodeSelector: { 'acme.com/pool': 'ml' },
  tolerations: [{ key: 'acme.com/ml', operator: 'Exists' }],
  priorityClassName: 'acme-high',
  security: { runAsUser: 20000 },
};

const TRAIN = { name: 'churn', image: 'ghcr.io/acme/train:1.0.0', command: ['python', 'train.py'] };
const DRIFT = { model: 'churn', reference: 'd/ref.parquet', current: 'logs/churn/', features: [{ name: 'a' }] };

const CASES: Record<string, { required: string[]; build: (p: MlopsPlatform, props: Record<string, unknown>) => void; values: Record<string, Value> }> = {
  ModelDeploymentProps: {
    required: ['platform'],
    build: (p, props) => p.addModel('M', { model: 'models:/churn@champion', ...props }),
    values: {
      ...WORKLOAD,
      name: 'churn-api',
      model: 'models:/churn/3',
      image: needs(undefined, {}), // the alternative to model: every custom-server test in test/serving
      mlflowImage: 'ghcr.io/acme/mlflow:3.0.0',
      port: needs(9000, { model: undefined, name: 'api', image: 'ghcr.io/acme/api:1.0.0' }),
      healthPath: needs('/healthz', { model: undefined, name: 'api', image: 'ghcr.io/acme/api:1.0.0' }),
      command: needs(['serve'], { model: undefined, name: 'api', image: 'ghcr.io/acme/api:1.0.0' }),
      args: needs(['--fast'], { model: undefined, name: 'api', image: 'ghcr.io/acme/api:1.0.0' }),
      metrics: needs({ port: 9100 }, { model: undefined, name: 'api', image: 'ghcr.io/acme/api:1.0.0' }),
      workers: 3,
      requestTimeoutSeconds: 30,
      startupTimeoutSeconds: 300,
      resources: { cpu: '1', memory: '2Gi' },
      minReplicas: 3,
      maxReplicas: 5,
      autoscaling: false,
      canary: { model: 'models:/churn@challenger', weight: 10 },
      gateway: { name: 'public', namespace: 'gateway' },
      ingress: { host: 'churn.example.com' },
      inferenceLogging: true,
      slo: { latencyP95Seconds: 1 },
      waitForRollout: true,
      requestRateMetrics: needs(undefined, {}), // an instance of RequestRateMetrics, taken with autoscaling.requestsPerSecond: covered in test/serving
    },
  },
  TrainingJobProps: {
    required: ['platform', 'name', 'image', 'command'],
    build: (p, props) => p.addTrainingJob('T', { ...TRAIN, ...props } as never),
    values: {
      ...WORKLOAD,
      args: ['--epochs', '3'],
      programFiles: { 'train.py': 'print(1)\n' },
      experimentName: 'churn-exp',
      model: 'churn',
      schedule: '@daily',
      timeZone: needs('Europe/Berlin', { schedule: '@daily' }),
      suspend: needs(true, { schedule: '@daily' }),
      resources: { cpu: '2', memory: '4Gi' },
      gpus: 1,
      scratch: { sizeLimit: '10Gi' },
      sharedMemory: '1Gi',
      envFromSecrets: ['acme-env'],
      workers: 2,
      masterPort: needs(29400, { workers: 2 }),
      dataValidation: { command: ['python', 'validate.py'] },
      promotionGate: needs({ metric: 'auc', direction: 'higher_is_better', threshold: 0.8 }, { model: 'churn' }),
      backoffLimit: 3,
      activeDeadlineSeconds: 600,
      ttlSecondsAfterFinished: 60,
      startingDeadlineSeconds: needs(120, { schedule: '@daily' }),
      successfulJobsHistoryLimit: needs(1, { schedule: '@daily' }),
      failedJobsHistoryLimit: needs(1, { schedule: '@daily' }),
      artifactAccess: 'read',
      // The default volume store cannot scope by prefix (refused there, test/core/impossible-configs.test.ts); S3 does.
      artifactPrefix: needs('datasets/churn/', { artifactAccess: 'read', artifactVolume: 'S3' }),
      extraEgress: [{ name: 'warehouse', to: [{ cidr: '10.9.0.0/16' }], ports: [{ port: 5432 }] }],
      alertSeverity: 'critical',
    },
  },
  DriftMonitorProps: {
    required: ['platform', 'model', 'reference', 'current', 'features'],
    build: (p, props) => p.addDriftMonitor('D', { ...DRIFT, ...props } as never),
    values: {
      ...WORKLOAD,
      name: 'churn-check',
      schedule: '0 3 * * *',
      timeZone: 'Europe/Berlin',
      format: needs('csv', { current: 'logs/current.csv' }),
      windowDays: 3,
      psiThreshold: 0.2,
      ksPValue: 0.01,
      ksStatistic: 0.2,
      chi2PValue: 0.01,
      cramersV: 0.2,
      driftShareThreshold: 0.5,
      sampleRows: 50000,
      seed: 7,
      bins: 20,
      minRows: 100,
      missingShareThreshold: 0.2,
      newCategoryShareThreshold: 0.2,
      reportPrefix: 'reports/churn/',
      retrain: needs(undefined, {}), // a TrainingJob instance: covered in test/drift
      sustainedFor: '3d',
      severity: 'critical',
      apiServer: needs({ cidr: '10.0.0.1/32' }, { retrain: 'TRAINING' }),
      resources: { cpu: '1', memory: '2Gi' },
      image: 'ghcr.io/acme/drift:1.0.0',
      activeDeadlineSeconds: 600,
    },
  },
  TrackingServerProps: {
    required: ['namespace', 'artifactStore', 'database', 'cloudIdentity', 'monitoring'],
    build: () => undefined, // built by the platform from `tracking`
    values: {
      ...WORKLOAD,
      name: 'tracking',
      image: 'ghcr.io/acme/mlflow:3.0.0',
      replicas: needs(2, { artifactVolume: 'RWX' }),
      workers: 4,
      resources: { cpu: '1', memory: '2Gi' },
      auth: { enabled: true },
      ingress: { host: 'mlflow.example.com' },
      extraAllowedHosts: ['mlflow.acme.internal'],
    },
  },
  InClusterPostgresProps: {
    required: ['namespace', 'removalPolicy'],
    build: () => undefined, // built by the platform from `postgres`
    values: {
      ...WORKLOAD,
      name: 'pg',
      image: 'docker.io/library/postgres:16.4',
      storageSize: '50Gi',
      storageClassName: 'fast',
      cpu: '1',
      memory: '1Gi',
      security: { runAsUser: 20000 },
    },
  },
};

/** The stack as text, with `props` on the construct under test. */
function synth(kind: string, given: Record<string, unknown>): string {
  const { artifactVolume, ...rest } = given; // a platform prop the case needs
  let props = rest;
  return synthStack((stack) => {
    const rwx = artifactVolume === 'RWX';
    if (artifactVolume === 'S3') new AwsProvider(stack, 'Aws', { region: 'eu-west-1' });
    const s3 = artifactVolume === 'S3' && S3ArtifactStore.fromBucketName(stack, 'S3', { bucketName: 'acme', region: 'eu-west-1' });
    const platform = new MlopsPlatform(stack, 'P', {
      ...(s3 ? { artifactStore: s3, cloudIdentity: new AwsPodIdentity(stack, 'Id', { clusterName: 'prod' }) } : {}),
      ...(kind === 'TrackingServerProps' ? { tracking: props } : {}),
      ...(kind === 'InClusterPostgresProps' ? { postgres: props } : {}),
      ...(rwx ? { artifactVolume: { accessMode: 'ReadWriteMany' } } : {}),
    } as never);
    if (props.retrain === 'TRAINING') props = { ...props, retrain: { trainingJob: platform.addTrainingJob('R', { ...TRAIN, name: 'r', schedule: '@daily' }) } };
    CASES[kind]!.build(platform, props);
  }).text;
}

describe('every prop of the workload constructs takes effect (or is refused)', () => {
  for (const [kind, c] of Object.entries(CASES)) {
    it(kind, () => {
      const props = propsOf(kind).filter((p) => !c.required.includes(p));
      expect(props.filter((p) => !(p in c.values)), 'props without a test value: add one').toEqual([]);
      const ignored: string[] = [];
      const refused: string[] = [];
      for (const prop of props) {
        const v = c.values[prop];
        if (isNeeds(v) && v.value === undefined) continue; // an instance, covered where noted
        const value = isNeeds(v) ? v.value : v;
        const extra = isNeeds(v) ? v.with : {};
        const base = synth(kind, { ...extra });
        let withProp: string;
        try {
          withProp = synth(kind, { ...extra, [prop]: value });
        } catch (e) {
          // The values here are valid ones: a refusal means the table is wrong, not that the prop works.
          if (e instanceof ValidationError) refused.push(`${prop} = ${JSON.stringify(value)}: ${e.message.split('\n')[1]}`);
          else throw e;
          continue;
        }
        if (withProp === base) ignored.push(`${prop} = ${JSON.stringify(value)}`);
      }
      expect(refused).toEqual([]);
      expect(ignored).toEqual([]);
    }, 300_000);
  }
});
