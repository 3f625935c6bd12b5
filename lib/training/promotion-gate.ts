import type { Construct } from 'constructs';
import { z } from 'zod';
import { ConfigMapV1 } from '@cdktf/provider-kubernetes/lib/config-map-v1';
import { programFiles } from '../core/assets';
import { imageRef } from '../core/validators';
import { resourcesSchema, type EnvVar, type ResourceOptions } from '../core/workload';

/**
 * The promotion gate step of a {@link TrainingJob}: after training, the
 * library's `promotion_gate.py` (standard library only) reads the candidate
 * run's metric from MLflow, compares it with the threshold (and optionally the
 * current champion) and only then points the alias at the new model version.
 * Exit codes: 0 promoted, 1 rejected, 2 error; a non-zero exit fails the Job.
 */
export interface PromotionGateOptions {
  /** Run metric the candidate is judged by, e.g. `val_accuracy`. */
  readonly metric: string;
  /** `higher_is_better`: pass when metric >= threshold; `lower_is_better`: pass when metric <= threshold. */
  readonly direction: 'higher_is_better' | 'lower_is_better';
  readonly threshold: number;
  /**
   * Also require the candidate to be at least as good as the version that holds the alias.
   * @default false
   */
  readonly compareToChampion?: boolean;
  /**
   * Registered-model alias set on a passing version.
   * @default 'champion'
   */
  readonly alias?: string;
  /**
   * Registered model whose newest version (or the version of the training run) is judged.
   * @default - the job's `model` prop (one of the two is required)
   */
  readonly modelName?: string;
  /**
   * Image that runs the gate; any image with Python 3.9+ and `sh` works.
   * @default - the training image
   */
  readonly image?: string;
  /**
   * CPU and memory of the gate container.
   * @default { cpu: '100m', memory: '256Mi' }
   */
  readonly resources?: ResourceOptions;
  /**
   * Evaluate and log the decision but do not set the alias (exit codes unchanged).
   * @default false
   */
  readonly dryRun?: boolean;
}

// MLflow rejects aliases "latest" and "v<number>" (they collide with version references).
const aliasName = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,255}$/, { message: 'must be letters, digits, "_" and "-" (e.g. "champion")' })
  .refine((v) => v.toLowerCase() !== 'latest' && !/^v\d+$/i.test(v), {
    message: 'is reserved by MLflow ("latest" and "v<number>" name versions, not aliases)',
  });

export const promotionGateSchema = z.strictObject({
  metric: z.string().min(1, { message: 'must name a run metric, e.g. "val_accuracy"' }),
  direction: z.enum(['higher_is_better', 'lower_is_better']),
  threshold: z.number({ message: 'must be a finite number' }),
  compareToChampion: z.boolean().default(false),
  alias: aliasName.default('champion'),
  modelName: z.string().min(1).optional(),
  image: imageRef.optional(),
  resources: resourcesSchema.default({ cpu: '100m', memory: '256Mi' }),
  dryRun: z.boolean().default(false),
});

export type ParsedPromotionGate = z.output<typeof promotionGateSchema>;

/** Where the gate script is mounted and the file the training step writes its run id to. */
export const GATE_SCRIPT_DIR = '/opt/mlops';
export const GATE_SCRIPT = 'promotion_gate.py';
export const RUN_DIR = '/mlops/run';
export const RUN_ID_FILE = `${RUN_DIR}/run_id`;

/** The gate's env contract (see the script's docstring). */
export function promotionGateEnv(gate: ParsedPromotionGate, modelName: string): EnvVar[] {
  return [
    { name: 'GATE_MODEL_NAME', value: modelName },
    { name: 'GATE_METRIC', value: gate.metric },
    { name: 'GATE_DIRECTION', value: gate.direction },
    { name: 'GATE_THRESHOLD', value: String(gate.threshold) },
    { name: 'GATE_COMPARE_TO_CHAMPION', value: String(gate.compareToChampion) },
    { name: 'GATE_ALIAS', value: gate.alias },
    { name: 'GATE_RUN_ID_FILE', value: RUN_ID_FILE },
  ];
}

/** The gate's command line. */
export function promotionGateCommand(gate: ParsedPromotionGate): string[] {
  return ['python3', `${GATE_SCRIPT_DIR}/${GATE_SCRIPT}`, ...(gate.dryRun ? ['--dry-run'] : [])];
}

/** The ConfigMap (`<name>-gate`) with the gate program (promotion_gate.py and its gate_*.py modules) shipped in the package, mounted at {@link GATE_SCRIPT_DIR}. */
export function promotionGateScript(scope: Construct, name: string, namespace: string, labels: Record<string, string>): ConfigMapV1 {
  return new ConfigMapV1(scope, 'GateScript', {
    metadata: { name: `${name}-gate`, namespace, labels },
    data: programFiles('training', GATE_SCRIPT),
  });
}
