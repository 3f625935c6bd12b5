import type { DriftWatch, ModelWatch, TrainingWatch, WatchTarget } from '../core/observability';
import { formatDuration } from '../core/validators';

/**
 * Per-workload objectives as data: one recording rule per objective whose
 * series (`vector(<threshold>)` with the workload's labels) the fleet-wide
 * alert rules join on. The alert rules stay the same size for 1 or 1,000
 * models; only this data grows, by one short rule per objective, and
 * `Monitoring` ships it in shards well below the Kubernetes object limits.
 *
 * Label values that alerts show in their text (`objective`, `budget`,
 * `period`, ...) travel on the series as strings formatted here, so the
 * annotations read exactly as before; the alert rules delete them again from
 * the alert's labels.
 */

/** Names of the objective series. */
export const OBJECTIVES = {
  /** Value: p95 latency objective in seconds. Labels: namespace, model, severity, objective. */
  latency: 'mlops:model_latency_p95_objective_seconds',
  /** Value: share of requests allowed to fail. Labels: namespace, model, severity, budget (percent). */
  errorBudget: 'mlops:model_error_budget_ratio',
  /** Value: the autoscaler's maximum. Labels: namespace, model, horizontalpodautoscaler, max_replicas. */
  autoscaler: 'mlops:model_autoscaler_max_replicas',
  /** Value: 1. Labels: namespace, model, variant, deployment (the model dashboard's Deployments). */
  deployment: 'mlops:model_deployment_info',
  /** Value: seconds without success after which retraining counts as missed (0: no schedule period). Labels: namespace, cronjob, training, model, severity, period. */
  trainingCronJob: 'mlops:training_cronjob_retrain_after_seconds',
  /** Value: 1. Labels: namespace, job_name, training, model, severity. */
  trainingJob: 'mlops:training_job_info',
  /** Value: seconds without a run after which the drift check counts as stopped. Labels: namespace, model, severity, cronjob, period, stale_after, sustained_for. */
  drift: 'mlops:drift_stale_after_seconds',
} as const;

/** One recording rule, in Prometheus rule-file shape. */
export interface RecordingRule {
  readonly record: string;
  readonly expr: string;
  readonly labels: Record<string, string>;
}

/** A group of objective series, in Prometheus rule-file shape. */
export interface ObjectiveGroup {
  readonly name: string;
  readonly rules: RecordingRule[];
}

/** Seconds without a drift report after which a drift monitor counts as stopped: 1.5 periods. */
export function driftStaleAfterSeconds(t: DriftWatch): number {
  return Math.round(t.schedulePeriodSeconds * 1.5);
}

/** Seconds without a successful scheduled run after which retraining counts as missed: 1.5 periods. */
export function retrainAfterSeconds(t: TrainingWatch): number {
  return t.schedulePeriodSeconds ? Math.round(t.schedulePeriodSeconds * 1.5) : 0;
}

const rec = (record: string, value: number, labels: Record<string, string>): RecordingRule => ({ record, expr: `vector(${value})`, labels });

/** The objective series of one registration (none for a tracking server: its alert is per server). */
export function objectivesOf(t: WatchTarget): RecordingRule[] {
  switch (t.kind) {
    case 'tracking-server':
      return [];
    case 'model':
      return modelObjectives(t);
    case 'training':
      return trainingObjectives(t);
    case 'drift':
      return [rec(OBJECTIVES.drift, driftStaleAfterSeconds(t), {
        namespace: t.namespace, model: t.model, severity: t.severity ?? 'warning', cronjob: t.cronJobName,
        period: formatDuration(t.schedulePeriodSeconds), stale_after: formatDuration(driftStaleAfterSeconds(t)),
        sustained_for: formatDuration(t.sustainedForSeconds),
      })];
  }
}

function modelObjectives(m: ModelWatch): RecordingRule[] {
  const id = { namespace: m.namespace, model: m.model };
  const severity = m.severity ?? 'critical';
  return [
    rec(OBJECTIVES.latency, m.latencyP95Seconds, { ...id, severity, objective: String(m.latencyP95Seconds) }),
    rec(OBJECTIVES.errorBudget, m.errorRatio, { ...id, severity, budget: String(m.errorRatio * 100) }),
    ...Object.entries(m.deployments).map(([variant, deployment]) => rec(OBJECTIVES.deployment, 1, { ...id, variant, deployment })),
    ...(m.autoscalerName ? [rec(OBJECTIVES.autoscaler, m.maxReplicas, { ...id, horizontalpodautoscaler: m.autoscalerName, max_replicas: String(m.maxReplicas) })] : []),
  ];
}

function trainingObjectives(t: TrainingWatch): RecordingRule[] {
  const about = { training: t.name, ...(t.model ? { model: t.model } : {}), severity: t.severity ?? 'warning' };
  const out: RecordingRule[] = [];
  if (t.cronJobName) {
    out.push(rec(OBJECTIVES.trainingCronJob, retrainAfterSeconds(t), {
      namespace: t.namespace, cronjob: t.cronJobName, ...about,
      ...(t.schedulePeriodSeconds ? { period: formatDuration(t.schedulePeriodSeconds) } : {}),
    }));
  }
  if (t.jobName) out.push(rec(OBJECTIVES.trainingJob, 1, { namespace: t.namespace, job_name: t.jobName, ...about }));
  return out;
}

/** Objective series per group (and per shipped PrometheusRule): about 100 KiB. */
export const OBJECTIVES_PER_GROUP = 500;

/** Objective rule groups of the targets, `perGroup` rules at most each (`mlops-objectives-<n>`). */
export function buildObjectiveGroups(targets: readonly WatchTarget[], perGroup = OBJECTIVES_PER_GROUP): ObjectiveGroup[] {
  const rules = targets.flatMap(objectivesOf);
  const groups: ObjectiveGroup[] = [];
  for (let i = 0; i < rules.length; i += perGroup) groups.push({ name: `mlops-objectives-${groups.length}`, rules: rules.slice(i, i + perGroup) });
  return groups;
}
