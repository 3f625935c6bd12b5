/**
 * The one extension point through which workloads register what should be
 * watched. `Monitoring` implements {@link IMonitoringSink} and turns each
 * registration into scrape configuration, dashboards and alert rules; the
 * workloads never build those themselves.
 *
 * Metric contract (what the generated scrape configs, rules and dashboards read):
 * - tracking server: `mlflow_http_request_total{status}`, `mlflow_http_request_duration_seconds_bucket`
 *   (MLflow `--expose-prometheus`), and `up`.
 * - model servers: `http_request_duration_seconds_bucket` and `http_requests_total{status}`
 *   (the names of prometheus-fastapi-instrumentator; the library's MLflow serving wrapper emits them,
 *   custom images may rename them per model). Prometheus adds `model` and `variant` labels from the pod labels.
 * - training and drift jobs: kube-state-metrics (`kube_job_*`, `kube_cronjob_*`) and Pushgateway series
 *   (`mlops_drift_*`, grouped by `namespace` and `model`).
 *
 * Namespaces in watch targets are plain names (`MlopsNamespace.literalName`), not resource references:
 * monitoring uses them in construct ids, dashboard uids and PromQL.
 */

/** Pod label naming the model a serving pod belongs to (becomes the `model` label of its series). */
export const MODEL_LABEL = 'mlops.cdktf.io/model';
/** Pod label naming the variant (`stable` or `canary`) of a serving pod. */
export const VARIANT_LABEL = 'mlops.cdktf.io/variant';
/** Pod label marking pods that Prometheus scrapes. */
export const SCRAPE_LABEL = 'mlops.cdktf.io/scrape';

/** Pods whose metrics endpoint Prometheus scrapes. */
export interface ScrapeEndpoint {
  /** Namespace of the pods. */
  readonly namespace: string;
  /** Labels selecting the pods. */
  readonly podLabels: Record<string, string>;
  /** Name of the container port that serves metrics. */
  readonly portName: string;
  /** @default '/metrics' */
  readonly path?: string;
  /** Basic-auth credentials Prometheus must send (a Secret in the workload's namespace). */
  readonly basicAuth?: { readonly secretName: string; readonly usernameKey: string; readonly passwordKey: string };
}

/** The MLflow tracking server. */
export interface TrackingServerWatch {
  readonly kind: 'tracking-server';
  /** e.g. `mlflow` in namespace `mlops`. */
  readonly name: string;
  readonly scrape: ScrapeEndpoint;
}

/** A served model and its objectives. */
export interface ModelWatch {
  readonly kind: 'model';
  /** Model name, the `model` label of its series. */
  readonly model: string;
  readonly namespace: string;
  readonly scrape: ScrapeEndpoint;
  /** Names of the Deployments per variant (`stable`, and `canary` while one runs). */
  readonly deployments: Record<string, string>;
  /**
   * The canary's judge, when one promotes or rolls back the canary automatically: it pushes
   * `mlops_canary_*` (job `mlops-canary`, grouped by namespace and model) every `periodSeconds`.
   */
  readonly canaryJudge?: { readonly cronJobName: string; readonly periodSeconds: number };
  /** The HorizontalPodAutoscaler of the stable variant, if any. */
  readonly autoscalerName?: string;
  readonly minReplicas: number;
  readonly maxReplicas: number;
  /** Latency objective: p95 in seconds. */
  readonly latencyP95Seconds: number;
  /** Error budget: share of requests allowed to fail (5xx), e.g. 0.01. */
  readonly errorRatio: number;
  /**
   * Metric names the server exposes: the histogram's base name (or its `_bucket` series),
   * the request counter, and the label holding the HTTP status.
   */
  readonly metrics: { readonly requestDuration: string; readonly requestsTotal: string; readonly statusLabel: string };
  /** Alert severity. @default 'critical' */
  readonly severity?: 'critical' | 'warning' | 'info';
}

/** A one-off or scheduled training job. */
export interface TrainingWatch {
  readonly kind: 'training';
  readonly name: string;
  readonly namespace: string;
  /** The model it trains, if known. */
  readonly model?: string;
  /** The CronJob name of a scheduled job. */
  readonly cronJobName?: string;
  /** The Job name of a one-off job. */
  readonly jobName?: string;
  /** Longest gap between scheduled runs, in seconds (for the missed-retraining alert). */
  readonly schedulePeriodSeconds?: number;
  readonly severity?: 'critical' | 'warning' | 'info';
}

/** A drift monitor of one model. */
export interface DriftWatch {
  readonly kind: 'drift';
  readonly model: string;
  readonly namespace: string;
  readonly cronJobName: string;
  /** Longest gap between runs, in seconds (for the stopped-reporting alert). */
  readonly schedulePeriodSeconds: number;
  /** How long drift must persist before the alert fires, in seconds. */
  readonly sustainedForSeconds: number;
  readonly features: string[];
  readonly severity?: 'critical' | 'warning' | 'info';
}

export type WatchTarget = TrackingServerWatch | ModelWatch | TrainingWatch | DriftWatch;

/** Receives registrations; implemented by `Monitoring`. */
export interface IMonitoringSink {
  /** The in-cluster Pushgateway URL for batch jobs, when one is installed. */
  readonly pushgatewayUrl?: string;
  /** Namespace where Prometheus runs (network policies admit scrapes from it). */
  readonly prometheusNamespace: string;
  /** In-cluster URL of the Prometheus API (for request-rate autoscaling), when known. */
  readonly prometheusUrl?: string;
  /** Registers a workload; rules, dashboards and scrape configs are generated from it at synth time. */
  watch(target: WatchTarget): void;
}

/**
 * Pushgateway job of the canary judge's series (`mlops_canary_outcome{outcome}`,
 * `mlops_canary_last_run_timestamp_seconds`, `mlops_canary_judge_error{reason}`, ...), grouped by
 * `namespace` and `model` like the drift series.
 */
export const CANARY_PUSH_JOB = 'mlops-canary';
