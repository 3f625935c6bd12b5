import { Construct } from 'constructs';
import type { ConfigMapV1 } from '@cdktf/provider-kubernetes/lib/config-map-v1';
import type { RoleV1 } from '@cdktf/provider-kubernetes/lib/role-v1';
import type { RoleBindingV1 } from '@cdktf/provider-kubernetes/lib/role-binding-v1';
import type { NetworkPolicyV1 } from '@cdktf/provider-kubernetes/lib/network-policy-v1';
import { parseProps } from '../core/props';
import { withDefaults, type WorkloadOptions } from '../core/workload-options';
import { applyObjectMetadata } from '../core/object-metadata';
import { selectorLabels, standardLabels } from '../core/labels';
import { MODEL_LABEL } from '../core/observability';
import { urlPort, type EgressTarget } from '../core/network';
import { parseDuration } from '../core/validators';
import { cronPeriodSeconds, spreadSchedule } from '../core/cron';
import type { ResourceOptions, SecurityOptions } from '../core/workload';
import { WorkloadIdentity } from '../cluster/workload-identity';
import { openEgress } from '../cluster/mlops-namespace';
import type { IMlopsPlatform } from '../core/platform-context';
import { artifactAccess } from './artifact-access';
import { driftCheckConfig } from './drift-config';
import { driftCheckFiles, driftCronJob } from './drift-job';
import { checkDriftProps, driftMonitorSchema } from './drift-props';
import { apiServerEgress, retrainPermissions, type ApiServerEgressOptions, type DriftRetrainOptions } from './retrain-trigger';
import { podSecurityProblems } from '../core/workload';
import { claimKubernetesName, pascalCase } from '../core/names';
import { fail } from '../core/errors';
import type { WorkloadResource } from '../core/workload-resource';

export type { ApiServerEgressOptions, DriftRetrainOptions, RetrainTarget } from './retrain-trigger';

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

/** Properties of a {@link DriftMonitor}. */
export interface DriftMonitorProps extends WorkloadOptions {
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
   * When the check runs (5-field cron or macro). An `H` field is a value picked from the
   * CronJob's namespace and name (`H(a-b)` one of a-b, `H/n` every n-th from a picked start), so
   * that a fleet's checks on one schedule do not all start at once; the CronJob gets the
   * concrete schedule ({@link DriftMonitor.schedule}).
   * @default 'H 2 * * *' (daily, at a minute of the 02:00 hour picked per monitor)
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
   * Fewest rows each side needs for a verdict. With fewer the run reports "insufficient data" (exit 10,
   * `mlops_drift_insufficient_data` 1): neither drift nor no drift, and it does not count toward retraining.
   * The default keeps PSI's small-sample bias, about (bins − 1)/n, at a third of `psiThreshold`, so
   * unchanged data crosses the threshold in about 0.3 % of a feature's checks. At most `sampleRows`.
   * @default - 3 × (bins − 1) / psiThreshold, rounded up (270 with the defaults)
   */
  readonly minRows?: number;
  /**
   * A feature also drifts when its share of missing values in the current window exceeds the reference's
   * by at least this much (pushed as `mlops_drift_feature_missing_share`).
   * @default 0.1
   */
  readonly missingShareThreshold?: number;
  /**
   * A categorical feature also drifts when this share of its current values is categories never seen in
   * the reference sample (pushed as `mlops_drift_feature_new_category_share`); PSI alone misses a new
   * category below about 2 %.
   * @default 0.01
   */
  readonly newCategoryShareThreshold?: number;
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
  /** The schedule as the CronJob has it: the `schedule` prop with its `H` fields filled in. */
  public readonly schedule: string;
  public readonly model: string;
  /** Where the reports go (`drift-report-latest.json` and one per run), as the pod sees it. */
  public readonly reportUri: string;
  /** Labels selecting the check's pods. */
  public readonly podLabels: Record<string, string>;
  /** Seconds drift must persist before the alert fires. */
  public readonly sustainedForSeconds: number;
  /** The config the program reads (`config.json`). */
  public readonly config: Record<string, unknown>;
  public readonly cronJob: WorkloadResource;
  public readonly identity: WorkloadIdentity;
  /** ConfigMap with `config.json`. */
  public readonly configMap: ConfigMapV1;
  /** ConfigMap with `drift_check.py`, the file shipped in the package; one per namespace, shared by its drift monitors. */
  public readonly programConfigMap: ConfigMapV1;
  /** The retraining permissions, when `retrain` is set. */
  public readonly role?: RoleV1;
  public readonly roleBinding?: RoleBindingV1;
  /** The egress policies its pods are in: shared with the namespace's other drift monitors (one per target). */
  public readonly networkPolicies: NetworkPolicyV1[] = [];


  constructor(scope: Construct, id: string, props: DriftMonitorProps) {
    super(scope, id);
    const p = parseProps(driftMonitorSchema, props, this);
    const platform = p.platform as IMlopsPlatform;
    const { inferenceLog, retrainCronJob } = checkDriftProps(p, this.node.path, platform.namespace.literalName);
    const ns = platform.namespace.name;
    const store = platform.artifactStore;
    const workload = withDefaults(p, platform.workloadDefaults);
    applyObjectMetadata(this, workload);

    const name = p.name ?? `${p.model}-drift`; // model is at most 40 characters
    this.cronJobName = name;
    this.schedule = spreadSchedule(p.schedule, `${platform.namespace.literalName}/${name}`);
    const period = cronPeriodSeconds(this.schedule);
    this.sustainedForSeconds = p.sustainedFor ? parseDuration(p.sustainedFor) : (p.retrain?.afterConsecutiveRuns ?? 2) * period;
    claimKubernetesName(this, p.name !== undefined ? 'name' : 'model', 'CronJob', ns, name);
    for (const problem of podSecurityProblems(p.security, platform.namespace.podSecurity)) fail(this.node.path, problem.prop, problem.message);
    this.model = p.model;
    const reportPrefix = p.reportPrefix ?? `drift/${p.model}/`;

    const ident = { name: 'drift-monitor', instance: name, component: 'drift' };
    const labels = standardLabels(ident, { [MODEL_LABEL]: p.model });
    this.podLabels = selectorLabels(ident);

    this.identity = new WorkloadIdentity(this, 'Identity', { namespace: ns, name, kind: 'drift', labels, cloud: platform.cloudIdentity });
    const access = artifactAccess(this.node.path, store, this.identity, {
      // A file grants its directory; the inference-log directory (ending in "/") is granted whole, read-only.
      readPaths: [p.reference, p.current],
      reportPrefix,
      grantPrefix: `Drift${pascalCase(p.model)}`,
    });
    this.reportUri = store.uriOf(reportPrefix);
    if (!this.reportUri.endsWith('/')) this.reportUri += '/';

    const pushgatewayUrl = platform.monitoring?.pushgatewayUrl;
    this.config = driftCheckConfig(p, { store, namespace: platform.namespace.literalName, inferenceLog, reportUri: this.reportUri, pushgatewayUrl, retrainCronJob });
    const files = driftCheckFiles(this, platform.namespace, name, ns, labels, this.config);
    this.programConfigMap = files.program;
    this.configMap = files.config;
    if (retrainCronJob !== undefined) {
      const rbac = retrainPermissions(this, { name: `${name}-retrain`, namespace: ns, labels, cronJobName: retrainCronJob, serviceAccountName: this.identity.serviceAccountName });
      this.role = rbac.role;
      this.roleBinding = rbac.roleBinding;
    }
    // Egress: object store and cloud credentials, the Pushgateway, and the API server for retraining,
    // through policies the namespace shares among all drift monitors (their pods carry the labels).
    const egress: EgressTarget[] = [...store.egress, ...(platform.cloudIdentity?.credentialEgress ?? [])];
    if (pushgatewayUrl && platform.monitoring) {
      egress.push({ name: 'pushgateway', to: [{ namespace: platform.monitoring.prometheusNamespace }], ports: [{ port: urlPort(pushgatewayUrl) }] });
    }
    if (p.retrain) egress.push(apiServerEgress(p.apiServer));
    const opened = openEgress(platform.namespace, this, name, this.podLabels, egress);
    this.networkPolicies.push(...opened.policies);
    this.cronJob = driftCronJob(this, {
      egressPodLabels: opened.podLabels,
      props: p, name, namespace: ns, labels, access, files, schedule: this.schedule, periodSeconds: period,
      serviceAccountName: this.identity.serviceAccountName,
      mountServiceAccountToken: p.retrain !== undefined,
      workload, at: this.node.path,
    });

    platform.monitoring?.watch({
      kind: 'drift',
      model: p.model,
      // Plain names: monitoring uses them in ids and file names, and in PromQL they need no resolution.
      namespace: platform.namespace.literalName,
      cronJobName: name,
      schedulePeriodSeconds: period,
      sustainedForSeconds: this.sustainedForSeconds,
      features: p.features.map((f) => f.name),
      severity: p.severity,
    });
  }
}
