import type { Construct } from 'constructs';
import { JobV1 } from '@cdktf/provider-kubernetes/lib/job-v1';
import { CronJobV1 } from '@cdktf/provider-kubernetes/lib/cron-job-v1';
import { Fn, Token } from '../core/cdktf';
import type { PodSpec } from '../core/workload';
import type { ParsedTrainingProps } from './training-props';
import { STEP } from './training-steps';

const WEEK = 7 * 86400;

/** What one run is made of. */
export interface TrainingRunOptions {
  readonly props: ParsedTrainingProps;
  /** The concrete schedule (`H` fields filled in); without it, a one-off Job. */
  readonly schedule?: string;
  readonly namespace: string;
  /** Labels of the Job or CronJob. */
  readonly labels: Record<string, string>;
  readonly podSpec: PodSpec;
  /** Labels of the pod template. */
  readonly podLabels: Record<string, string>;
}

/**
 * The Job (no schedule) or CronJob (id `Resource` either way) with the run's
 * limits: deadline, retries that skip disruptions and hopeless failures, TTL,
 * Indexed completion for distributed runs, and no overlapping scheduled runs.
 */
export function trainingRun(scope: Construct, o: TrainingRunOptions): { job?: JobV1; cronJob?: CronJobV1 } {
  const { props: p, labels } = o;
  const spec = runSpec(o);
  if (o.schedule) {
    const cronJob = new CronJobV1(scope, 'Resource', {
      metadata: { name: p.name, namespace: o.namespace, labels },
      spec: {
        schedule: o.schedule,
        timezone: p.timeZone,
        suspend: p.suspend,
        concurrencyPolicy: 'Forbid',
        startingDeadlineSeconds: p.startingDeadlineSeconds,
        successfulJobsHistoryLimit: p.successfulJobsHistoryLimit,
        failedJobsHistoryLimit: p.failedJobsHistoryLimit,
        jobTemplate: { metadata: { labels }, spec },
      },
    });
    return { cronJob };
  }
  const job = new JobV1(scope, 'Resource', {
    metadata: { name: p.name, namespace: o.namespace, labels },
    spec,
    // Training takes hours; `apply` must not wait for it.
    waitForCompletion: false,
  });
  return { job };
}

/** The Job spec, shared by the one-off Job and the CronJob's template. */
function runSpec(o: TrainingRunOptions) {
  const p = o.props;
  return {
    backoffLimit: p.backoffLimit,
    activeDeadlineSeconds: p.activeDeadlineSeconds,
    ttlSecondsAfterFinished:
      p.ttlSecondsAfterFinished !== undefined ? String(p.ttlSecondsAfterFinished) : p.schedule ? String(WEEK) : undefined,
    ...(p.workers > 1 ? { completionMode: 'Indexed', completions: p.workers, parallelism: p.workers } : {}),
    podFailurePolicy: {
      rule: [
        // Node drains and preemptions are not the job's fault; retry without counting.
        { action: 'Ignore', onPodCondition: [{ type: 'DisruptionTarget', status: 'True' }] },
        // Bad data and a rejected model do not improve on retry; do not retrain for them.
        ...(p.dataValidation ? [failJobOnError(STEP.validate)] : []),
        ...(p.promotionGate ? [failJobOnError(STEP.gate)] : []),
      ],
    },
    template: { metadata: { labels: o.podLabels }, spec: o.podSpec },
  };
}

/**
 * Every non-zero exit code, 1 to 255: "NotIn [0]" says the same, but the
 * kubernetes provider rejects a 0 anywhere in `values` (its validation is
 * `IntNotInSlice([0])`, whatever the operator), so the list is spelled out,
 * as Terraform's `range(1, 256)`: the same 255 values (Kubernetes allows up to
 * 255, exactly enough), in 20 bytes of cdk.tf.json instead of 255 lines per
 * rule and training job.
 */
let exitCodes: number[] | undefined;
/** One token for every job: each token costs cdktf a captured stack trace, which adds up over a fleet. */
const nonZeroExitCodes = (): number[] => (exitCodes ??= Token.asNumberList(Fn.range(1, 256)));

function failJobOnError(containerName: string) {
  return { action: 'FailJob', onExitCodes: { containerName, operator: 'In', values: nonZeroExitCodes() } };
}
