import type { Construct } from 'constructs';
import { ConfigMapV1 } from '@cdktf/provider-kubernetes/lib/config-map-v1';
import { programFiles } from '../core/assets';
import { DEFAULT_IMAGES } from '../core/images';
import type { IMlopsPlatform } from '../core/platform-context';

/** Where a TrainingJob's `programFiles` are mounted in the training step. */
export const TRAINING_PROGRAM_DIR = '/opt/mlops/program';

/** The ConfigMap (`<name>-program`) with a training program's files, mounted at {@link TRAINING_PROGRAM_DIR}. */
export function trainingProgramFiles(scope: Construct, name: string, namespace: string, labels: Record<string, string>, files: Record<string, string>): ConfigMapV1 {
  return new ConfigMapV1(scope, 'Program', { metadata: { name: `${name}-program`, namespace, labels }, data: files });
}

/** The part of a TrainingJob's props that runs the churn example's program. */
export interface ChurnExampleTraining {
  readonly image: string;
  readonly command: string[];
  readonly programFiles: Record<string, string>;
  readonly env: Record<string, string>;
  readonly artifactAccess: 'readwrite';
  /** The reference prefix, when the store can limit access to it (`IArtifactStore.scopesPrefixes`). */
  readonly artifactPrefix?: string;
}

/**
 * The churn example's training program, shipped in the package (`lib/training/scripts/train_churn.py`):
 * a scikit-learn RandomForest on generated customer data (`tenure_months`, `monthly_charges`,
 * `contract`), logged and registered in MLflow, run in the MLflow `-full` image on a CPU. It also
 * writes its training features as Parquet to `<store>/<referencePrefix>reference.parquet`, the
 * reference a `DriftMonitor` of the model compares requests with (so the job gets read-write
 * access to that prefix only, where the store scopes grants by prefix; a volume store gives it the
 * whole volume). Spread into the TrainingJob's props:
 * `platform.addTrainingJob('Churn', { name: 'churn', model: 'churn', ...churnExampleTraining(platform) })`.
 */
export function churnExampleTraining(platform: IMlopsPlatform, options: { readonly referencePrefix?: string; readonly rows?: number } = {}): ChurnExampleTraining {
  const prefix = options.referencePrefix ?? 'datasets/churn/';
  return {
    image: DEFAULT_IMAGES.mlflow,
    command: ['python', `${TRAINING_PROGRAM_DIR}/train_churn.py`],
    programFiles: programFiles('training', 'train_churn.py'),
    env: {
      CHURN_REFERENCE_URI: platform.artifactStore.uriOf(`${prefix}reference.parquet`),
      ...(options.rows !== undefined ? { CHURN_ROWS: String(options.rows) } : {}),
    },
    artifactAccess: 'readwrite',
    ...(platform.artifactStore.scopesPrefixes ? { artifactPrefix: prefix } : {}),
  };
}
