import { z } from 'zod';
import { fail } from '../core/errors';
import { cidr, labelsSchema, noDotDot, envVarName, ianaTimeZone, imageRef, k8sName, k8sNamePrefix, memoryQuantity, nonNegativeInt, positiveInt } from '../core/validators';
import { cronJobSchedule } from '../core/cron';
import { resourcesSchema, securityOptionsSchema } from '../core/workload';
import { workloadOptionsShape } from '../core/workload-options';
import type { IMlopsPlatform } from '../core/platform-context';
import { DISTRIBUTED_ENV_NAMES } from './distributed';
import { checkPromotionGate, promotionGateSchema } from './promotion-gate';

/*
 * The zod schema of a TrainingJob's props and the checks across props that
 * the schema cannot express.
 */

const absPath = z.string().refine((v) => /^\/[^:]*$/.test(v) && noDotDot(v), { message: 'must be an absolute path without ".." such as "/scratch"' });
const command = z.array(z.string()).min(1, { message: 'must have at least one element, e.g. ["python", "train.py"]' });
const egressTarget = z.strictObject({
  name: k8sName,
  to: z.array(z.strictObject({
    podLabels: labelsSchema.optional(),
    namespace: k8sName.optional(),
    cidr: cidr.optional(),
    except: z.array(cidr).optional(),
  })).min(1),
  ports: z.array(z.strictObject({ port: z.number().int().min(1).max(65535), protocol: z.enum(['TCP', 'UDP']).optional() })),
});

export const trainingJobSchema = z.strictObject({
  ...workloadOptionsShape,
  platform: z.custom<IMlopsPlatform>((v) => typeof v === 'object' && v !== null && 'trackingClientEnv' in v && 'namespace' in v, {
    message: 'must be an IMlopsPlatform (e.g. an MlopsPlatform)',
  }),
  name: k8sNamePrefix,
  image: imageRef,
  command,
  args: z.array(z.string()).optional(),
  programFiles: z
    .record(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, { message: 'must be a plain file name such as "train.py"' }), z.string())
    .refine((files) => Object.keys(files).length > 0, { message: 'must name at least one file' })
    .optional(),
  experimentName: z.string().min(1).optional(),
  model: z.string().min(1).optional(),
  schedule: cronJobSchedule.optional(),
  timeZone: ianaTimeZone.optional(),
  suspend: z.boolean().default(false),
  resources: resourcesSchema.default({ cpu: '1', memory: '2Gi' }),
  gpus: nonNegativeInt.default(0),
  scratch: z.strictObject({ sizeLimit: memoryQuantity, mountPath: absPath.default('/scratch') }).optional(),
  sharedMemory: memoryQuantity.optional(),
  env: z.record(envVarName, z.string()).default({}),
  secretEnv: workloadOptionsShape.secretEnv.unwrap().default({}),
  envFromSecrets: z.array(k8sName).default([]),
  workers: positiveInt.default(1),
  masterPort: z.number().int().min(1024, { message: 'must be between 1024 and 65535' }).max(65535, { message: 'must be between 1024 and 65535' }).default(29500),
  dataValidation: z.strictObject({ command, args: z.array(z.string()).optional(), image: imageRef.optional(), resources: resourcesSchema.optional() }).optional(),
  promotionGate: promotionGateSchema.optional(),
  backoffLimit: nonNegativeInt.default(1),
  activeDeadlineSeconds: positiveInt.default(21600),
  ttlSecondsAfterFinished: nonNegativeInt.optional(),
  startingDeadlineSeconds: positiveInt.default(3600),
  successfulJobsHistoryLimit: nonNegativeInt.default(3),
  failedJobsHistoryLimit: nonNegativeInt.default(3),
  artifactAccess: z.enum(['none', 'read', 'readwrite']).optional(),
  artifactPrefix: z.string().refine((v) => /^[^/*?][^*?]*\/$/.test(v) && noDotDot(v), { message: 'must be a key prefix ending in "/", without "*", "?" or ".." and not starting with "/" (e.g. "datasets/churn/")' }).optional(),
  extraEgress: z.array(egressTarget).default([]),
  alertSeverity: z.enum(['critical', 'warning', 'info']).optional(),
  security: securityOptionsSchema.optional(),
});

export type ParsedTrainingProps = z.output<typeof trainingJobSchema>;

/** The props, as given, that are errors only when set explicitly (a subset of `TrainingJobProps`; no import of it, so props and job do not import each other). */
interface ExplicitTrainingProps {
  readonly suspend?: boolean;
  readonly startingDeadlineSeconds?: number;
  readonly successfulJobsHistoryLimit?: number;
  readonly failedJobsHistoryLimit?: number;
  readonly masterPort?: number;
}

/**
 * Checks what the schema cannot. `props` is what the user gave: some props
 * are errors only when given explicitly (their defaults are harmless).
 * Returns the registered model the promotion gate judges, when there is a gate.
 */
export function checkTrainingProps(p: ParsedTrainingProps, props: ExplicitTrainingProps, path: string): { gateModel?: string } {
  if (p.scratch && ['/tmp', '/home/mlops'].some((d) => p.scratch!.mountPath === d || p.scratch!.mountPath.startsWith(d + '/') || d.startsWith(p.scratch!.mountPath.replace(/\/$/, '') + '/'))) {
    fail(path, 'scratch.mountPath', `got ${JSON.stringify(p.scratch.mountPath)}; it overlaps a directory the TrainingJob mounts itself (/tmp, the home directory); choose another, e.g. "/scratch"`);
  }
  if (p.resources.gpus !== undefined) fail(path, 'resources.gpus', `got ${p.resources.gpus}; set GPUs with the top-level gpus prop`);
  if (p.timeZone && !p.schedule) fail(path, 'timeZone', `got ${JSON.stringify(p.timeZone)}; a time zone needs a schedule`);
  if (props.suspend !== undefined && !p.schedule) fail(path, 'suspend', 'suspend applies to a schedule; a one-off Job without schedule cannot be suspended');
  for (const k of ['startingDeadlineSeconds', 'successfulJobsHistoryLimit', 'failedJobsHistoryLimit'] as const) {
    if (props[k] !== undefined && !p.schedule) fail(path, k, `got ${props[k]}; ${k} applies to a schedule only`);
  }
  if (props.masterPort !== undefined && p.workers === 1) fail(path, 'masterPort', 'applies to distributed runs only (workers > 1)');
  if (p.promotionGate) checkPromotionGate(p.promotionGate, path);
  const gateModel = p.promotionGate ? (p.promotionGate.modelName ?? p.model) : undefined;
  if (p.promotionGate && !gateModel) {
    fail(path, 'promotionGate.modelName', 'nothing given; name the registered model to promote with promotionGate.modelName or the model prop');
  }
  const reserved = new Set([
    'MLFLOW_TRACKING_URI', 'MLFLOW_TRACKING_USERNAME', 'MLFLOW_TRACKING_PASSWORD', 'MLFLOW_EXPERIMENT_NAME',
    'MLOPS_RUN_ID_FILE', 'MLOPS_MODEL_NAME', 'HOME', 'JOB_COMPLETION_INDEX', ...(p.workers > 1 ? DISTRIBUTED_ENV_NAMES : []),
  ]);
  for (const [prop, names] of [['env', Object.keys(p.env)], ['secretEnv', Object.keys(p.secretEnv)]] as const) {
    for (const n of names) if (reserved.has(n)) fail(path, `${prop}.${n}`, `${n} is set by the TrainingJob; remove it`);
  }
  for (const n of Object.keys(p.secretEnv)) if (n in p.env) fail(path, `secretEnv.${n}`, `${n} is also in env; give each variable once`);
  return { gateModel };
}
