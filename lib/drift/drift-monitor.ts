import { Construct } from 'constructs';
import { z } from 'zod';
import { ConfigMapV1 } from '@cdktf/provider-kubernetes/lib/config-map-v1';
import { CronJobV1, type CronJobV1SpecJobTemplateSpecTemplateSpec } from '@cdktf/provider-kubernetes/lib/cron-job-v1';
import { RoleV1 } from '@cdktf/provider-kubernetes/lib/role-v1';
import { RoleBindingV1 } from '@cdktf/provider-kubernetes/lib/role-binding-v1';
import type { NetworkPolicyV1 } from '@cdktf/provider-kubernetes/lib/network-policy-v1';
import { Token } from '../core/cdktf';
import { parseProps } from '../core/props';
import { fail } from '../core/errors';
import { readScript } from '../core/assets';
import { DEFAULT_IMAGES } from '../core/images';
import { selectorLabels, standardLabels } from '../core/labels';
import { MODEL_LABEL } from '../core/observability';
import type { EgressTarget } from '../core/network';
import {
  cronPeriodSeconds,
  cronSchedule,
  duration,
  imageRef,
  k8sName,
  k8sNamePrefix,
  nonNegativeInt,
  parseDuration,
  positiveInt,
} from '../core/validators';
import { buildPodSpec, resourcesSchema, securityOptionsSchema, type EnvVar, type ResourceOptions, type SecurityOptions } from '../core/workload';
import { WorkloadIdentity } from '../cluster/workload-identity';
import { allowEgressTargets } from '../cluster/mlops-namespace';
import type { IMlopsPlatform } from '../platform/platform-context';
import { artifactAccess } from './artifact-access';

/** One column the drift check compares. */
export interface DriftFeature {
  /** Column name in both data files. */
  readonly name: string;
  /**
   * `numeric`: PSI on reference-quantile bins and the two-sample Kolmogorov–Smirnov test;
   * `categorical`: PSI on categories and the chi-squared test.
   * @default 'numeric'
   */
  readonly type?: 'numeric' | 'categorical';
}

/** The training that a persistent drift re-runs. Satisfied by a scheduled `TrainingJob`. */
export interface RetrainTarget {
  /** Name of the training CronJob; a one-off Job (no CronJob) cannot be re-triggered. */
  readonly cronJobName?: string;
}

/** When persistent drift starts retraining. */
export interface DriftRetrainOptions {
  /** The model's scheduled training; a Job is created from its CronJob. */
  readonly trainingJob: RetrainTarget;
  /**
   * Number of consecutive drift checks that must find dataset drift before a
   * retraining Job is created (the count restarts after each trigger). With
   * the default daily schedule, 2 runs each checking a day of production data
   * means "drift for 48 hours".
   * @default 2
   */
  readonly afterConsecutiveRuns?: number;
}

/** Where the API server is, for the retraining trigger's network egress. */
export interface ApiServerEgressOptions {
  /**
   * IP range of the API server endpoints (`kubectl get endpoints kubernetes`).
   * NetworkPolicies match the endpoint after the Service address is translated,
   * and cannot name the API server, so the default is any address.
   * @default '0.0.0.0/0'
   */
  readonly cidr?: string;
  /**
   * Ports of the API server: the `kubernetes` Service port and the endpoint port.
   * @default [443, 6443]
   */
  readonly ports?: number[];
}

/** Properties of a {@link DriftMonitor}. */
export interface DriftMonitorProps {
  /** The platform whose artifact store holds the data and whose namespace runs the check. */
  readonly platform: IMlopsPlatform;
  /** Model name; the `model` label of the drift metrics and alerts. */
  readonly model: string;
  /**
   * Name of the CronJob, ServiceAccount and ConfigMaps.
   * @default '<model>-drift'
   */
  readonly name?: string;
  /**
   * When the check runs (5-field cron or macro).
   * @default '0 2 * * *' (daily at 02:00)
   */
  readonly schedule?: string;
  /**
   * IANA time zone of the schedule, e.g. `Europe/Berlin`.
   * @default - the time zone of kube-controller-manager (usually UTC)
   */
  readonly timeZone?: string;
  /** Reference (training) data: a path in the artifact store, e.g. `datasets/churn/reference.parquet`. */
  readonly reference: string;
  /**
   * Recent production data: a file in the artifact store, e.g. `exports/churn/latest.csv`, or a
   * directory ending in "/" holding the inference logs of a `ModelDeployment` with
   * `inferenceLogging` (`date=YYYY-MM-DD/*.jsonl`), e.g. `inference-logs/churn/`.
   */
  readonly current: string;
  /**
   * Format of `current`; `reference` is always a CSV or Parquet file, told by its extension unless
   * this is `csv` or `parquet`. `inference-log`: `current` is a directory of inference logs (ends in "/").
   * @default 'auto' (a `current` ending in "/" is `inference-log`; files by extension: .csv, .tsv, optionally compressed, .parquet, .pq)
   */
  readonly format?: 'auto' | 'csv' | 'parquet' | 'inference-log';
  /**
   * Inference logs only: the days of logs each check reads, the date partitions (UTC) of every day
   * overlapping the last `windowDays` x 24 hours.
   * @default 7
   */
  readonly windowDays?: number;
  /** Columns compared; at least one, names unique. */
  readonly features: DriftFeature[];
  /**
   * A feature drifts when its population stability index reaches this value.
   * @default 0.1
   */
  readonly psiThreshold?: number;
  /**
   * A numeric feature also drifts when the KS p-value is below this AND the KS statistic reaches `ksStatistic`.
   * @default 0.05
   */
  readonly ksPValue?: number;
  /**
   * Minimum KS statistic D (effect size) for the KS test to count.
   * @default 0.1
   */
  readonly ksStatistic?: number;
  /**
   * A categorical feature also drifts when the chi-squared p-value is below this AND Cramér's V reaches `cramersV`.
   * @default 0.05
   */
  readonly chi2PValue?: number;
  /**
   * Minimum Cramér's V (effect size) for the chi-squared test to count.
   * @default 0.1
   */
  readonly cramersV?: number;
  /**
   * The dataset drifts when this share of the features drifted.
   * @default 0.3
   */
  readonly driftShareThreshold?: number;
  /**
   * Rows sampled (uniformly, streamed) from each side.
   * @default 5000
   */
  readonly sampleRows?: number;
  /**
   * Seed of the sampling, for reproducible reports.
   * @default 42
   */
  readonly seed?: number;
  /**
   * Bins of numeric features for PSI.
   * @default 10
   */
  readonly bins?: number;
  /**
   * Where reports and the run state go in the artifact store (the only prefix the check may write).
   * @default 'drift/<model>/'
   */
  readonly reportPrefix?: string;
  /**
   * Start retraining when drift persists.
   * @default - no retraining: drift only alerts
   */
  readonly retrain?: DriftRetrainOptions;
  /**
   * How long drift must be reported continuously before the drift alert fires.
   * @default - `afterConsecutiveRuns` (2 without retrain) times the schedule period: 48h for daily checks
   */
  readonly sustainedFor?: string;
  /**
   * Severity of the drift alert.
   * @default 'warning'
   */
  readonly severity?: 'critical' | 'warning' | 'info';
  /**
   * API server egress of the retraining trigger (only with `retrain`).
   * @default - any address on 443 and 6443
   */
  readonly apiServer?: ApiServerEgressOptions;
  /**
   * CPU and memory of the check (flat in the data size: rows are streamed and sampled).
   * @default { cpu: '250m', memory: '1Gi' }
   */
  readonly resources?: ResourceOptions;
  /**
   * Image with python3, numpy, pandas, scipy, pyarrow and boto3; pinned.
   * @default 'ghcr.io/mlflow/mlflow:v3.17.0-full'
   */
  readonly image?: string;
  /**
   * Longest run before the Job is stopped.
   * @default 3600
   */
  readonly activeDeadlineSeconds?: number;
  /**
   * Opt-outs from the secure pod defaults.
   * @default - none
   */
  readonly security?: SecurityOptions;
}

const DATA_FILE = /\.(csv|tsv)(\.(gz|bz2|zst|xz|zip))?$|\.(parquet|pq)$/i;
const storePathOk = (v: string) => v.trim() !== '' && !/^[a-z][a-z0-9+.-]*:\/\//i.test(v) && !v.startsWith('/') && !v.split('/').includes('..') && !v.endsWith('/');
const storePath = (what: string) =>
  z.string().refine(storePathOk, {
    message: `must be a ${what} path inside the artifact store without a leading "/", a scheme or "..", e.g. "datasets/churn/reference.parquet"`,
  });
const share = (lo: 'open' | 'closed', hi: 'open' | 'closed', msg: string) =>
  z.number().refine((v) => Number.isFinite(v) && (lo === 'open' ? v > 0 : v >= 0) && (hi === 'open' ? v < 1 : v <= 1), { message: msg });

const schema = z.strictObject({
  platform: z.custom<IMlopsPlatform>((v) => typeof v === 'object' && v !== null && 'artifactStore' in v && 'namespace' in v, {
    message: 'must be an IMlopsPlatform (e.g. an MlopsPlatform)',
  }),
  model: k8sNamePrefix,
  name: k8sName.refine((v) => v.length <= 52, { message: 'must be at most 52 characters (a CronJob name)' }).optional(),
  schedule: cronSchedule.default('0 2 * * *'),
  timeZone: z.string().regex(/^(UTC|[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)+)$/, { message: 'must be an IANA time zone such as "UTC" or "Europe/Berlin"' }).optional(),
  reference: storePath('file'),
  current: z.string().refine((v) => storePathOk(v.replace(/\/$/, '')), {
    message: 'must be a file path (or a directory path ending in "/") inside the artifact store without a leading "/", a scheme or "..", e.g. "inference-logs/churn/"',
  }),
  format: z.enum(['auto', 'csv', 'parquet', 'inference-log']).default('auto'),
  windowDays: z.number().int({ message: 'must be a whole number of days' }).min(1, { message: 'must be at least 1 day' }).max(3660, { message: 'must be at most 3660 days' }).optional(),
  features: z
    .array(
      z.strictObject({
        name: z.string().min(1, { message: 'must be a non-empty column name' }),
        type: z.enum(['numeric', 'categorical']).default('numeric'),
      }),
    )
    .min(1, { message: 'must name at least one feature column, e.g. [{ name: "age", type: "numeric" }]' }),
  psiThreshold: z.number().refine((v) => Number.isFinite(v) && v > 0, { message: 'must be a number greater than 0 (0.1 is the usual "significant shift")' }).default(0.1),
  ksPValue: share('open', 'open', 'must be a p-value strictly between 0 and 1, e.g. 0.05').default(0.05),
  ksStatistic: share('closed', 'closed', 'must be a KS statistic between 0 and 1, e.g. 0.1').default(0.1),
  chi2PValue: share('open', 'open', 'must be a p-value strictly between 0 and 1, e.g. 0.05').default(0.05),
  cramersV: share('closed', 'closed', "must be a Cramér's V between 0 and 1, e.g. 0.1").default(0.1),
  driftShareThreshold: z.number().refine((v) => v > 0 && v <= 1, { message: 'must be a share of features greater than 0 and at most 1, e.g. 0.3' }).default(0.3),
  sampleRows: positiveInt.default(5000),
  seed: nonNegativeInt.default(42),
  bins: z.number().int({ message: 'must be a whole number' }).min(2, { message: 'must be at least 2' }).max(1000, { message: 'must be at most 1000' }).default(10),
  reportPrefix: z
    .string()
    .refine((v) => /^[^/]/.test(v) && v.endsWith('/') && !v.split('/').includes('..') && !/[*?]/.test(v), {
      message: 'must be a directory path inside the artifact store ending in "/", without a leading "/", "..", "*" or "?", e.g. "drift/churn/"',
    })
    .optional(),
  retrain: z
    .strictObject({
      trainingJob: z.custom<RetrainTarget>((v) => typeof v === 'object' && v !== null, { message: 'must be a scheduled TrainingJob (anything with cronJobName)' }),
      afterConsecutiveRuns: positiveInt.default(2),
    })
    .optional(),
  sustainedFor: duration.optional(),
  severity: z.enum(['critical', 'warning', 'info']).default('warning'),
  apiServer: z
    .strictObject({
      cidr: z.string().regex(/^(\d{1,3}\.){3}\d{1,3}\/\d{1,2}$|^[0-9a-fA-F:]+\/\d{1,3}$/, { message: 'must be a CIDR such as "10.0.0.1/32"' }).default('0.0.0.0/0'),
      ports: z.array(z.number().int().min(1).max(65535, { message: 'must be a port 1-65535' })).min(1).default([443, 6443]),
    })
    .default({ cidr: '0.0.0.0/0', ports: [443, 6443] }),
  resources: resourcesSchema.default({ cpu: '250m', memory: '1Gi' }),
  image: imageRef.default(DEFAULT_IMAGES.mlflow),
  activeDeadlineSeconds: positiveInt.default(3600),
  security: securityOptionsSchema.optional(),
});

const CONTAINER = 'drift-check';
const PROGRAM_DIR = '/opt/mlops/drift';
const CONFIG_DIR = '/etc/mlops/drift';
/** Exit codes of drift_check.py that a retry cannot fix, or that a retry would count twice (7: the run was recorded). */
const NO_RETRY_EXIT_CODES = [1, 2, 3, 4, 5, 7];

/**
 * A scheduled data-drift check of one model: a CronJob running the library's
 * `drift_check.py` (mounted from a ConfigMap) in a pinned image, comparing a
 * reference data file with recent production data from the artifact store,
 * writing a JSON report, pushing `mlops_drift_*` metrics to the Pushgateway,
 * registering the drift alerts with monitoring and, when drift persists for
 * `retrain.afterConsecutiveRuns` runs, creating a Job from the model's
 * training CronJob.
 *
 * Least privilege: the data is mounted or granted read-only, only the report
 * prefix is writable; the service-account token is mounted only with
 * `retrain`, and then a Role in the platform namespace allows exactly `get`
 * on the one training CronJob and `create` on Jobs.
 */
export class DriftMonitor extends Construct {
  /** Name of the CronJob (also of the ServiceAccount). */
  public readonly cronJobName: string;
  public readonly model: string;
  /** Where the reports go (`drift-report-latest.json` and one per run), as the pod sees it. */
  public readonly reportUri: string;
  /** Labels selecting the check's pods. */
  public readonly podLabels: Record<string, string>;
  /** Seconds drift must persist before the alert fires. */
  public readonly sustainedForSeconds: number;
  /** The config the program reads (`config.json`). */
  public readonly config: Record<string, unknown>;
  public readonly cronJob: CronJobV1;
  public readonly identity: WorkloadIdentity;
  /** ConfigMap with `config.json`. */
  public readonly configMap: ConfigMapV1;
  /** ConfigMap with `drift_check.py`, the file shipped in the package. */
  public readonly programConfigMap: ConfigMapV1;
  /** The retraining permissions, when `retrain` is set. */
  public readonly role?: RoleV1;
  public readonly roleBinding?: RoleBindingV1;
  public readonly networkPolicies: NetworkPolicyV1[] = [];

  constructor(scope: Construct, id: string, props: DriftMonitorProps) {
    super(scope, id);
    const p = parseProps(schema, props, this);
    const path = this.node.path;
    const platform = p.platform as IMlopsPlatform;
    const ns = platform.namespace.name;
    const store = platform.artifactStore;

    const names = new Set<string>();
    p.features.forEach((f, i) => {
      if (names.has(f.name)) fail(path, `features[${i}].name`, `got ${JSON.stringify(f.name)} twice; each feature column may be listed once`);
      names.add(f.name);
    });
    // The program reads `current` as a directory of inference logs exactly when this holds.
    const inferenceLog = p.format === 'inference-log' || (p.format === 'auto' && p.current.endsWith('/'));
    if (p.format === 'inference-log' && !p.current.endsWith('/')) {
      fail(path, 'current', `got ${JSON.stringify(p.current)}; with format "inference-log" it must be the inference-log directory, ending in "/", e.g. "inference-logs/${p.model}/"`);
    }
    if (!inferenceLog && p.current.endsWith('/')) {
      fail(path, 'current', `got the directory ${JSON.stringify(p.current)} with format "${p.format}"; a directory of inference logs needs format "inference-log" or "auto"`);
    }
    if (!inferenceLog && p.windowDays !== undefined) {
      fail(path, 'windowDays', `got ${p.windowDays} with a current file; windowDays only applies to inference logs (format "inference-log", current ending in "/")`);
    }
    const byExtension = [...(p.format === 'auto' || p.format === 'inference-log' ? ['reference' as const] : []), ...(p.format === 'auto' && !inferenceLog ? ['current' as const] : [])];
    for (const key of byExtension) {
      if (!DATA_FILE.test(p[key])) {
        fail(path, key, `got ${JSON.stringify(p[key])}; with format "${p.format}" the file must end in .csv, .tsv (optionally .gz, .bz2, .zst, .xz, .zip), .parquet or .pq; or set format to csv or parquet`);
      }
    }
    let cronJobName: string | undefined;
    if (p.retrain) {
      const target = p.retrain.trainingJob as RetrainTarget & { node?: { path: string } };
      cronJobName = target.cronJobName;
      if (!cronJobName) {
        fail(path, 'retrain.trainingJob', `got ${target.node?.path ?? 'a training job'} without cronJobName; only a scheduled TrainingJob (a CronJob) can be re-run, give it a schedule`);
      }
      if (!Token.isUnresolved(cronJobName) && !(cronJobName.length <= 52 && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(cronJobName))) {
        fail(path, 'retrain.trainingJob.cronJobName', `got ${JSON.stringify(cronJobName)}; must be a CronJob name (RFC 1123 label, at most 52 characters)`);
      }
    }

    const period = cronPeriodSeconds(p.schedule);
    this.sustainedForSeconds = p.sustainedFor ? parseDuration(p.sustainedFor) : (p.retrain?.afterConsecutiveRuns ?? 2) * period;
    const name = p.name ?? `${p.model}-drift`; // model is at most 40 characters
    this.cronJobName = name;
    this.model = p.model;
    const reportPrefix = p.reportPrefix ?? `drift/${p.model}/`;

    const ident = { name: 'drift-monitor', instance: name, component: 'drift' };
    const labels = standardLabels(ident, { [MODEL_LABEL]: p.model });
    this.podLabels = selectorLabels(ident);

    this.identity = new WorkloadIdentity(this, 'Identity', { namespace: ns, name, kind: 'drift', labels, cloud: platform.cloudIdentity });
    const access = artifactAccess(path, store, this.identity, {
      // A file grants its directory; the inference-log directory (ending in "/") is granted whole, read-only.
      readPaths: [p.reference, p.current],
      reportPrefix,
      grantPrefix: `Drift${pascal(p.model)}`,
    });
    this.reportUri = store.uriOf(reportPrefix);
    if (!this.reportUri.endsWith('/')) this.reportUri += '/';

    const pushgatewayUrl = platform.monitoring?.pushgatewayUrl;
    this.config = {
      model: p.model,
      reference: store.uriOf(p.reference),
      current: store.uriOf(p.current),
      format: p.format,
      ...(inferenceLog ? { windowDays: p.windowDays ?? 7 } : {}),
      features: p.features,
      psiThreshold: p.psiThreshold,
      ksPValue: p.ksPValue,
      ksStatistic: p.ksStatistic,
      chi2PValue: p.chi2PValue,
      cramersV: p.cramersV,
      driftShareThreshold: p.driftShareThreshold,
      sampleRows: p.sampleRows,
      seed: p.seed,
      bins: p.bins,
      reportUri: this.reportUri,
      ...(pushgatewayUrl ? { pushgatewayUrl } : {}),
      // The Role and the CronJob live in the pod's namespace, which the program reads from the token mount.
      ...(p.retrain ? { retrain: { afterConsecutiveRuns: p.retrain.afterConsecutiveRuns, cronJob: cronJobName } } : {}),
    };

    this.programConfigMap = new ConfigMapV1(this, 'Program', {
      metadata: { name: `${name}-program`, namespace: ns, labels },
      data: { 'drift_check.py': readScript('drift', 'drift_check.py') },
    });
    this.configMap = new ConfigMapV1(this, 'Config', {
      metadata: { name: `${name}-config`, namespace: ns, labels },
      data: { 'config.json': JSON.stringify(this.config, null, 2) + '\n' },
    });

    if (p.retrain) {
      this.role = new RoleV1(this, 'RetrainRole', {
        metadata: { name: `${name}-retrain`, namespace: ns, labels },
        rule: [
          // Read the one training CronJob whose job template is copied.
          { apiGroups: ['batch'], resources: ['cronjobs'], resourceNames: [cronJobName!], verbs: ['get'] },
          // `create` cannot be limited by resourceNames (the name does not exist yet).
          { apiGroups: ['batch'], resources: ['jobs'], verbs: ['create'] },
        ],
      });
      this.roleBinding = new RoleBindingV1(this, 'RetrainBinding', {
        metadata: { name: `${name}-retrain`, namespace: ns, labels },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: this.role.metadata.name },
        subject: [{ kind: 'ServiceAccount', name: this.identity.serviceAccountName, namespace: ns }],
      });
    }

    const env: EnvVar[] = [
      { name: 'DRIFT_CONFIG', value: `${CONFIG_DIR}/config.json` },
      { name: 'HOME', value: '/tmp' },
      { name: 'PYTHONUNBUFFERED', value: '1' },
      { name: 'PYTHONDONTWRITEBYTECODE', value: '1' },
      ...access.env,
    ];
    const podSpec = buildPodSpec({
      serviceAccountName: this.identity.serviceAccountName,
      automountServiceAccountToken: p.retrain !== undefined,
      security: p.security,
      restartPolicy: 'Never',
      affinity: access.affinity,
      volumes: [
        ...access.volumes,
        { name: 'program', configMap: { name: this.programConfigMap.metadata.name, defaultMode: '0444' } },
        { name: 'config', configMap: { name: this.configMap.metadata.name, defaultMode: '0444' } },
      ],
      containers: [
        {
          name: CONTAINER,
          image: p.image,
          command: ['python', `${PROGRAM_DIR}/drift_check.py`],
          args: ['--config', `${CONFIG_DIR}/config.json`],
          env,
          resources: p.resources,
          volumeMounts: [
            ...access.volumeMounts,
            { name: 'program', mountPath: PROGRAM_DIR, readOnly: true },
            { name: 'config', mountPath: CONFIG_DIR, readOnly: true },
          ],
          // S3 objects are staged in /tmp while they are sampled.
          writablePaths: ['/tmp'],
        },
      ],
    });

    this.cronJob = new CronJobV1(this, 'Resource', {
      metadata: { name, namespace: ns, labels },
      spec: {
        schedule: p.schedule,
        timezone: p.timeZone,
        concurrencyPolicy: 'Forbid',
        // A check started much later than scheduled would overlap the next one; skip it instead.
        startingDeadlineSeconds: Math.min(3600, period),
        successfulJobsHistoryLimit: 3,
        failedJobsHistoryLimit: 3,
        jobTemplate: {
          metadata: { labels },
          spec: {
            backoffLimit: 1,
            activeDeadlineSeconds: p.activeDeadlineSeconds,
            podFailurePolicy: {
              rule: [
                { action: 'Ignore', onPodCondition: [{ type: 'DisruptionTarget', status: 'True' }] },
                { action: 'FailJob', onExitCodes: { containerName: CONTAINER, operator: 'In', values: NO_RETRY_EXIT_CODES } },
              ],
            },
            template: {
              metadata: { labels: { ...labels, ...access.podLabels } },
              spec: podSpec as CronJobV1SpecJobTemplateSpecTemplateSpec,
            },
          },
        },
      },
    });

    // Egress: object store and cloud credentials, the Pushgateway, and the API server for retraining.
    const egress: EgressTarget[] = [...store.egress, ...(platform.cloudIdentity?.credentialEgress ?? [])];
    if (pushgatewayUrl && platform.monitoring) {
      egress.push({ name: 'pushgateway', to: [{ namespace: platform.monitoring.prometheusNamespace }], ports: [{ port: urlPort(pushgatewayUrl, 9091) }] });
    }
    if (p.retrain) {
      egress.push({ name: 'api-server', to: [{ cidr: p.apiServer.cidr }], ports: p.apiServer.ports.map((port) => ({ port })) });
    }
    this.networkPolicies.push(...allowEgressTargets(platform.namespace, this, name, this.podLabels, egress));

    platform.monitoring?.watch({
      kind: 'drift',
      model: p.model,
      namespace: ns,
      cronJobName: name,
      schedulePeriodSeconds: period,
      sustainedForSeconds: this.sustainedForSeconds,
      features: p.features.map((f) => f.name),
      severity: p.severity,
    });
  }
}

function pascal(v: string): string {
  return v.split('-').map((s) => s.charAt(0).toUpperCase() + s.slice(1)).join('');
}

/** The port of an http(s) URL, or the fallback when it cannot be parsed. */
function urlPort(url: string, fallback: number): number {
  try {
    const u = new URL(url);
    return u.port ? Number(u.port) : u.protocol === 'https:' ? 443 : 80;
  } catch {
    return fallback;
  }
}
