import type { Construct } from 'constructs';
import { z } from 'zod';
import { ConfigMapV1 } from '@cdktf/provider-kubernetes/lib/config-map-v1';
import { programFiles } from '../core/assets';
import { SharedProgram } from '../core/shared-program';
import { fail } from '../core/errors';
import { imageRef, k8sNamePrefix } from '../core/validators';
import { resourcesSchema, type EnvVar, type ResourceOptions } from '../core/workload';

/**
 * The promotion gate step of a {@link TrainingJob}: after training, the
 * library's `promotion_gate.py` (standard library only) reads the candidate
 * run's metric from MLflow, compares it with the threshold (and optionally the
 * current champion) and only then points the alias at the new model version.
 * Only a `READY` version whose metrics are finite is promoted.
 * Exit codes: 0 promoted, 1 rejected, 2 error; a non-zero exit fails the Job.
 */
export interface PromotionGateOptions {
  /**
   * Run metric the candidate is judged by, e.g. `val_accuracy`: with `direction` and `threshold`, the
   * shorthand for one condition (the first; `compareToChampion` compares it).
   * @default - none; then `conditions` must name at least one
   */
  readonly metric?: string;
  /** `higher_is_better`: pass when metric >= threshold; `lower_is_better`: pass when metric <= threshold. */
  readonly direction?: 'higher_is_better' | 'lower_is_better';
  /** The threshold of `metric`. */
  readonly threshold?: number;
  /**
   * More metric thresholds, all of which must hold, e.g. accuracy ≥ 0.9 AND fairness_disparity ≤ 0.1.
   * @default - only the `metric` shorthand
   */
  readonly conditions?: GateCondition[];
  /**
   * Reject while the drift check's last verdict for the model is drift (`mlops_drift_detected` = 1 on the
   * platform's Pushgateway, the series the drift alert watches). No verdict yet does not block; an
   * unreachable Pushgateway fails the gate (exit 2). Needs a platform with monitoring.
   * @default false
   */
  readonly blockOnDrift?: boolean;
  /**
   * The `model` of the model's DriftMonitor, when `blockOnDrift` is on.
   * @default - the job's `model` prop, else the registered model name
   */
  readonly driftModel?: string;
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

/** One metric threshold of the {@link PromotionGateOptions promotion gate}. */
export interface GateCondition {
  /** Run metric, e.g. `fairness_disparity`. */
  readonly metric: string;
  /** `higher_is_better`: pass when metric >= threshold; `lower_is_better`: pass when metric <= threshold. */
  readonly direction: 'higher_is_better' | 'lower_is_better';
  readonly threshold: number;
}

// MLflow's own rule for metric keys; it also keeps Terraform from reading "${...}" in a name.
const metricKey = z.string().regex(/^[\w./ -]+$/, { message: 'must be an MLflow metric key (letters, digits, "_", "-", ".", " ", "/"), e.g. "val_accuracy"' });
const direction = z.enum(['higher_is_better', 'lower_is_better']);
const finite = z.number({ message: 'must be a finite number' }).refine(Number.isFinite, { message: 'must be a finite number' });

/** @internal */
export const promotionGateSchema = z.strictObject({
  metric: metricKey.optional(),
  direction: direction.optional(),
  threshold: finite.optional(),
  conditions: z.array(z.strictObject({ metric: metricKey, direction, threshold: finite })).min(1, { message: 'must list at least one condition' }).optional(),
  blockOnDrift: z.boolean().default(false),
  driftModel: k8sNamePrefix.optional(),
  compareToChampion: z.boolean().default(false),
  alias: aliasName.default('champion'),
  modelName: z.string().min(1).optional(),
  image: imageRef.optional(),
  resources: resourcesSchema.default({ cpu: '100m', memory: '256Mi' }),
  dryRun: z.boolean().default(false),
});

/** @internal */
export type ParsedPromotionGate = z.output<typeof promotionGateSchema>;

/** Where the gate script is mounted and the file the training step writes its run id to. */
export const GATE_SCRIPT_DIR = '/opt/mlops';
export const GATE_SCRIPT = 'promotion_gate.py';
export const RUN_DIR = '/mlops/run';
export const RUN_ID_FILE = `${RUN_DIR}/run_id`;

/** Checks across the gate's props: a complete shorthand or none, at least one condition, driftModel with blockOnDrift. @internal */
export function checkPromotionGate(gate: ParsedPromotionGate, path: string): void {
  const shorthand = [gate.metric, gate.direction, gate.threshold];
  if (shorthand.some((v) => v !== undefined) && shorthand.some((v) => v === undefined)) {
    const missing = (['metric', 'direction', 'threshold'] as const).find((k) => gate[k] === undefined)!;
    fail(path, `promotionGate.${missing}`, 'missing; give metric, direction and threshold together (the one-condition shorthand), or use conditions');
  }
  if (gate.metric === undefined && gate.conditions === undefined) {
    fail(path, 'promotionGate', 'has no condition; give metric, direction and threshold, or conditions with at least one condition');
  }
  if (gate.driftModel !== undefined && !gate.blockOnDrift) {
    fail(path, 'promotionGate.driftModel', `got ${JSON.stringify(gate.driftModel)} without blockOnDrift; it names the drift check's model for blockOnDrift only`);
  }
}

/** Where the gate reads the drift verdict, with `blockOnDrift`. */
export interface GateDriftSource {
  /** The Pushgateway's base URL. */
  readonly metricsUrl: string;
  /** The `namespace` and `model` labels of the drift check's series. */
  readonly namespace: string;
  readonly model: string;
}

/** The gate's env contract (see the script's docstring). @internal */
export function promotionGateEnv(gate: ParsedPromotionGate, modelName: string, drift?: GateDriftSource): EnvVar[] {
  return [
    { name: 'GATE_MODEL_NAME', value: modelName },
    ...(gate.metric !== undefined
      ? [
          { name: 'GATE_METRIC', value: gate.metric },
          { name: 'GATE_DIRECTION', value: gate.direction! },
          { name: 'GATE_THRESHOLD', value: String(gate.threshold) },
        ]
      : []),
    ...(gate.conditions ? [{ name: 'GATE_CONDITIONS', value: JSON.stringify(gate.conditions) }] : []),
    { name: 'GATE_COMPARE_TO_CHAMPION', value: String(gate.compareToChampion) },
    { name: 'GATE_ALIAS', value: gate.alias },
    { name: 'GATE_RUN_ID_FILE', value: RUN_ID_FILE },
    ...(drift
      ? [
          { name: 'GATE_BLOCK_ON_DRIFT', value: 'true' },
          { name: 'GATE_DRIFT_METRICS_URL', value: drift.metricsUrl },
          { name: 'GATE_DRIFT_NAMESPACE', value: drift.namespace },
          { name: 'GATE_DRIFT_MODEL', value: drift.model },
        ]
      : []),
  ];
}

/** The gate's command line. @internal */
export function promotionGateCommand(gate: ParsedPromotionGate): string[] {
  return ['python3', `${GATE_SCRIPT_DIR}/${GATE_SCRIPT}`, ...(gate.dryRun ? ['--dry-run'] : [])];
}

/**
 * The ConfigMap with the gate program (promotion_gate.py and its gate_*.py modules) shipped in the package,
 * mounted at {@link GATE_SCRIPT_DIR}: one per namespace (`mlops-program-promotion-gate`, under
 * `namespaceScope`), shared by its training jobs.
 */
export function promotionGateScript(namespaceScope: Construct, namespace: string): ConfigMapV1 {
  return SharedProgram.of(namespaceScope, { program: 'promotion-gate', namespace, files: () => programFiles('training', GATE_SCRIPT) });
}
