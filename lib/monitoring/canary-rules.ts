import type { ModelWatch, WatchTarget } from '../core/observability';
import { formatDuration } from '../core/validators';
import type { AlertRule, RuleGroup, RuleOptions } from './alert-rules';
import { DEFAULT_RUNBOOK_BASE_URL } from './alert-rules';

/**
 * Alert rules of the canary judge (models with `canary.judge`): each decision it takes is an
 * alert for one judge period (the judge replaces its outcome series on every run), so a
 * promotion or a rollback reaches Alertmanager and Grafana's annotations, and a judge that fails
 * or stops reporting is an alert too. Kept apart from alert-rules.ts: Monitoring appends these
 * groups to the generated ones.
 */

export const CANARY_ALERTS = {
  promoted: 'MlopsCanaryPromoted',
  rolledBack: 'MlopsCanaryRolledBack',
  judgeFailing: 'MlopsCanaryJudgeFailing',
} as const;

const q = (v: string) => JSON.stringify(v);

type JudgedModel = ModelWatch & { readonly canaryJudge: NonNullable<ModelWatch['canaryJudge']> };

/** One rule group per judged model (none for models without a judge). */
export function canaryRuleGroups(targets: readonly WatchTarget[], opts: Pick<RuleOptions, 'runbookBaseUrl'> = {}): RuleGroup[] {
  const base = opts.runbookBaseUrl ?? DEFAULT_RUNBOOK_BASE_URL;
  const runbook = (alert: string) => `${base}#${alert.toLowerCase()}`;
  return targets
    .filter((t): t is JudgedModel => t.kind === 'model' && t.canaryJudge !== undefined)
    .map((t) => ({ name: `mlops-canary-${t.namespace}-${t.model}`, rules: canaryRules(t, runbook) }));
}

function canaryRules(t: JudgedModel, runbook: (alert: string) => string): AlertRule[] {
  const labels = { severity: 'info' as const, component: 'canary', namespace: t.namespace, model: t.model };
  const m = `namespace=${q(t.namespace)}, model=${q(t.model)}`;
  const outcome = (o: string) => `max by (model) (mlops_canary_outcome{${m}, outcome=${q(o)}}) == 1`;
  const stale = Math.round(t.canaryJudge.periodSeconds * 3);
  const failing = {
    summary: `Canary judge of model ${t.model} is failing`,
    description: `The canary judge of model ${t.model} (CronJob ${t.canaryJudge.cronJobName} in ${t.namespace}) failed its last run or has not reported for 3 periods (${formatDuration(stale)}); the challenger is neither promoted nor rolled back. See the job's logs.`,
    runbook_url: runbook(CANARY_ALERTS.judgeFailing),
  };
  return [
    {
      alert: CANARY_ALERTS.promoted,
      expr: outcome('promoted'),
      labels,
      annotations: {
        summary: `Challenger of model ${t.model} promoted to champion`,
        description: `The canary of model ${t.model} met its objectives and the stable variant's errors and latency over the judge's window; @champion moved to its version and the stable pods follow it.`,
        runbook_url: runbook(CANARY_ALERTS.promoted),
      },
    },
    {
      alert: CANARY_ALERTS.rolledBack,
      expr: outcome('rolled_back'),
      labels: { ...labels, severity: 'warning' },
      annotations: {
        summary: `Challenger of model ${t.model} rolled back`,
        description: `The canary of model ${t.model} had more errors or higher latency than allowed; @challenger was removed and the canary scaled to zero. The judge's log names the measured values.`,
        runbook_url: runbook(CANARY_ALERTS.rolledBack),
      },
    },
    {
      alert: CANARY_ALERTS.judgeFailing,
      expr: `max by (model) (mlops_canary_judge_error{${m}}) == 1`,
      labels: { ...labels, severity: 'warning', signal: 'error' },
      annotations: failing,
    },
    {
      alert: CANARY_ALERTS.judgeFailing,
      expr: `time() - max by (model) (mlops_canary_last_run_timestamp_seconds{${m}}) > ${stale}`,
      labels: { ...labels, severity: 'warning', signal: 'stale' },
      annotations: failing,
    },
  ];
}
