import { z } from 'zod';
import { duration, imageRef, positiveInt } from '../core/validators';
import { cronJobSchedule } from '../core/cron';
import { resourcesSchema, type ResourceOptions } from '../core/workload';
import { workloadOptionsShape, type WorkloadOptions } from '../core/workload-options';

/**
 * The canary judge of a model (`canary.judge`): a CronJob running the library's
 * `canary_judge.py`, which compares the canary with the stable variant on the requests
 * Prometheus recorded over `window` and then moves the registry aliases: promoted
 * (`@champion` moves to the challenger's version) or rolled back (`@challenger` removed);
 * in both cases the canary scales to zero until the next challenger. See docs/serving.md.
 */
export interface CanaryJudgeOptions extends WorkloadOptions {
  /**
   * When the judge runs (5-field cron; `H/10 * * * *` is every 10 minutes from a minute picked
   * per judge, see `DriftMonitorProps.schedule`).
   * @default '*\/10 * * * *' (every 10 minutes)
   */
  readonly schedule?: string;
  /**
   * Evidence window: the canary must have served the challenger's version for all of it.
   * @default '1h'
   */
  readonly window?: string;
  /**
   * Fewest canary requests in the window before a decision (fewer: keep waiting).
   * @default 100
   */
  readonly minRequests?: number;
  /**
   * How much the canary's 5xx ratio may exceed the stable variant's (absolute, e.g. 0.005 = 0.5 points).
   * The canary must also meet the model's `slo.errorRatio`.
   * @default 0.005
   */
  readonly errorRatioTolerance?: number;
  /**
   * How much slower the canary's p95 latency may be than the stable one's (0.2 = 20 %).
   * The canary must also meet the model's `slo.latencyP95Seconds`.
   * @default 0.2
   */
  readonly latencyTolerance?: number;
  /**
   * Prometheus API the judge queries.
   * @default - the platform's Monitoring
   */
  readonly prometheusUrl?: string;
  /**
   * Image with Python 3.9+ (the judge uses the standard library only).
   * @default - the model's `mlflowImage`
   */
  readonly image?: string;
  /** @default { cpu: '50m', memory: '128Mi' } */
  readonly resources?: ResourceOptions;
}

/** @internal */
export const canaryJudgeSchema = z.strictObject({
  schedule: cronJobSchedule.default('*/10 * * * *'),
  window: duration.refine((v) => /^[1-9][0-9]*[smhd]$/.test(v), { message: 'must be one Prometheus duration unit such as "30m" or "1h"' }).default('1h'),
  minRequests: positiveInt.default(100),
  errorRatioTolerance: z.number().min(0, { message: 'must be between 0 and 1' }).max(1, { message: 'must be between 0 and 1' }).default(0.005),
  latencyTolerance: z.number().min(0, { message: 'must be 0 or more (0.2 = 20 % slower allowed)' }).default(0.2),
  prometheusUrl: z.string().regex(/^https?:\/\/[^/:]+(:\d+)?(\/.*)?$/, { message: 'must be an http(s) URL such as "http://prometheus.monitoring.svc:9090"' }).optional(),
  image: imageRef.optional(),
  resources: resourcesSchema.default({ cpu: '50m', memory: '128Mi' }),
  ...workloadOptionsShape,
});

/** {@link CanaryJudgeOptions} with every default applied: what the judge is built from. */
export interface ParsedCanaryJudge extends WorkloadOptions {
  readonly schedule: string;
  readonly window: string;
  readonly minRequests: number;
  readonly errorRatioTolerance: number;
  readonly latencyTolerance: number;
  readonly prometheusUrl?: string;
  readonly image?: string;
  readonly resources: ResourceOptions;
}

// The schema's output is a ParsedCanaryJudge (checked here, so the interface cannot drift from the schema).
const parsedIsJudge: (p: z.output<typeof canaryJudgeSchema>) => ParsedCanaryJudge = (p) => p;
void parsedIsJudge;
