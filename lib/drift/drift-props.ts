import { workloadOptionsShape } from '../core/workload-options';
import { z } from 'zod';
import { Token } from '../core/cdktf';
import { fail } from '../core/errors';
import { DEFAULT_IMAGES } from '../core/images';
import { cidr, duration, ianaTimeZone, imageRef, k8sName, k8sNamePrefix, nonNegativeInt, positiveInt } from '../core/validators';
import { cronJobSchedule } from '../core/cron';
import { resourcesSchema, securityOptionsSchema } from '../core/workload';
import type { IMlopsPlatform } from '../core/platform-context';
import type { RetrainTarget } from './retrain-trigger';

/*
 * The zod schema of a DriftMonitor's props and the checks across props that
 * the schema cannot express.
 */

const DATA_FILE = /\.(csv|tsv)(\.(gz|bz2|zst|xz|zip))?$|\.(parquet|pq)$/i;
const storePathOk = (v: string) => v.trim() !== '' && !/^[a-z][a-z0-9+.-]*:\/\//i.test(v) && !v.startsWith('/') && !v.split('/').includes('..') && !v.endsWith('/');
const storePath = (what: string) =>
  z.string().refine(storePathOk, {
    message: `must be a ${what} path inside the artifact store without a leading "/", a scheme or "..", e.g. "datasets/churn/reference.parquet"`,
  });
const share = (lo: 'open' | 'closed', hi: 'open' | 'closed', msg: string) =>
  z.number().refine((v) => Number.isFinite(v) && (lo === 'open' ? v > 0 : v >= 0) && (hi === 'open' ? v < 1 : v <= 1), { message: msg });

/** A CronJob's name: Kubernetes appends 11 characters to it for each Job. */
const cronJobName = k8sName.refine((v) => v.length <= 52, { message: 'must be at most 52 characters (a CronJob name)' });

export const driftMonitorSchema = z.strictObject({
  platform: z.custom<IMlopsPlatform>((v) => typeof v === 'object' && v !== null && 'artifactStore' in v && 'namespace' in v, {
    message: 'must be an IMlopsPlatform (e.g. an MlopsPlatform)',
  }),
  model: k8sNamePrefix,
  name: cronJobName.optional(),
  schedule: cronJobSchedule.default('H 2 * * *'),
  timeZone: ianaTimeZone.optional(),
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
  minRows: positiveInt.optional(),
  missingShareThreshold: share('open', 'closed', 'must be a share greater than 0 and at most 1, e.g. 0.1').default(0.1),
  newCategoryShareThreshold: share('open', 'closed', 'must be a share greater than 0 and at most 1, e.g. 0.01').default(0.01),
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
      cidr: cidr.default('0.0.0.0/0'),
      ports: z.array(z.number().int().min(1).max(65535, { message: 'must be a port 1-65535' })).min(1).default([443, 6443]),
    })
    .default({ cidr: '0.0.0.0/0', ports: [443, 6443] }),
  resources: resourcesSchema.default({ cpu: '250m', memory: '1Gi' }),
  image: imageRef.default(DEFAULT_IMAGES.mlflow),
  activeDeadlineSeconds: positiveInt.default(3600),
  security: securityOptionsSchema.optional(),
  ...workloadOptionsShape,
});

export type ParsedDriftProps = z.output<typeof driftMonitorSchema>;

/** What the cross-prop checks establish. */
export interface CheckedDriftProps {
  /** The program reads `current` as a directory of inference logs. */
  readonly inferenceLog: boolean;
  /** The training CronJob that retraining re-runs, with `retrain`. */
  readonly retrainCronJob?: string;
}

/**
 * Fewest rows a side needs for a verdict unless `minRows` is given: PSI's small-sample bias, about
 * (bins − 1)/n, is then a third of the threshold. drift_config.py derives the same number.
 */
export function defaultMinRows(bins: number, psiThreshold: number): number {
  return Math.ceil(Number(((3 * (bins - 1)) / psiThreshold).toFixed(6)));
}

/** Checks what the schema cannot: unique features, `current` against `format`, data file types, the retrain target. */
export function checkDriftProps(p: ParsedDriftProps, path: string, namespace: string): CheckedDriftProps {
  const minRows = p.minRows ?? defaultMinRows(p.bins, p.psiThreshold);
  if (minRows > p.sampleRows) {
    const what = p.minRows === undefined ? `the default minRows ${minRows} (3 × (bins − 1) / psiThreshold)` : `${minRows}`;
    fail(path, 'minRows', `got ${what}; must be at most sampleRows (${p.sampleRows}), as a window is judged on at most sampleRows rows: raise sampleRows or lower minRows`);
  }
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
  return { inferenceLog, retrainCronJob: p.retrain ? retrainCronJob(p.retrain.trainingJob as RetrainTarget, path, namespace) : undefined };
}

/** Only a scheduled training (a CronJob) can be re-run. */
function retrainCronJob(target: RetrainTarget & { node?: { path: string } }, path: string, namespace: string): string {
  const name = target.cronJobName;
  const there = target.namespaceName;
  if (there !== undefined && !Token.isUnresolved(there) && !Token.isUnresolved(namespace) && there !== namespace) {
    fail(path, 'retrain.trainingJob', `got ${target.node?.path ?? 'a training job'}, whose CronJob is in namespace "${there}"; this drift monitor runs in namespace "${namespace}" and its Role may start Jobs there only: retrain a training job of the same platform (namespace)`);
  }
  if (!name) {
    fail(path, 'retrain.trainingJob', `got ${target.node?.path ?? 'a training job'} without cronJobName; only a scheduled TrainingJob (a CronJob) can be re-run, give it a schedule`);
  }
  if (!Token.isUnresolved(name) && !cronJobName.safeParse(name).success) {
    fail(path, 'retrain.trainingJob.cronJobName', `got ${JSON.stringify(name)}; must be a CronJob name (RFC 1123 label, at most 52 characters)`);
  }
  return name;
}
