import type { ConfigMapV1 } from '@cdktf/provider-kubernetes/lib/config-map-v1';
import { buildPodSpec, type ContainerOptions, type EnvVar, type PodSpec, type Toleration, type Volume, type VolumeMount } from '../core/workload';
import type { ArtifactBinding } from '../stores/artifact-store';
import type { IMlopsPlatform } from '../core/platform-context';
import { distributedEnv, rankZeroOnly } from './distributed';
import { GATE_SCRIPT_DIR, promotionGateCommand, promotionGateEnv, RUN_DIR, RUN_ID_FILE, type GateDriftSource, type ParsedPromotionGate } from './promotion-gate';
import type { ParsedTrainingProps } from './training-props';
import { applyWorkloadOptions, secretEnvVars, type WorkloadOptions } from '../core/workload-options';
import { TRAINING_PROGRAM_DIR } from './training-program';
import { nameOf } from '../core/references';

/** Container names of the steps (the pod failure policy names them). */
export const STEP = { validate: 'data-validation', train: 'train', gate: 'promotion-gate' } as const;

const HOME = '/tmp';

/** What the pod of a run is made of besides the props. */
export interface TrainingPodOptions {
  readonly props: ParsedTrainingProps;
  readonly platform: IMlopsPlatform;
  readonly serviceAccountName: string;
  readonly experimentName: string;
  /** The pod's access to the artifact store (empty with `artifactAccess: 'none'`). */
  readonly artifacts: ArtifactBinding;
  /** Headless Service of a distributed run, the pods' subdomain. */
  readonly workersServiceName: string;
  /** The promotion gate, its script and the registered model it judges. */
  readonly gate?: { readonly options: ParsedPromotionGate; readonly script: ConfigMapV1; readonly modelName: string; readonly drift?: GateDriftSource };
  /** The ConfigMap with the training program's files, mounted into the training step. */
  readonly program?: ConfigMapV1;
  /** The job's workload options, the platform's defaults merged in (env and placement are applied here). */
  readonly workload: WorkloadOptions;
  /** Construct path, for errors. */
  readonly at: string;
}

/**
 * The pod of a run: data validation and training as init containers, the
 * promotion gate (or else training) as the main container, so any failing
 * step fails the pod. In a distributed run validation and the gate run on
 * rank 0 only.
 */
export function trainingPodSpec(o: TrainingPodOptions): PodSpec {
  const { props: p, platform, artifacts } = o;
  const distributed = p.workers > 1;
  const baseEnv: EnvVar[] = [
    ...(distributed ? distributedEnv({ serviceName: o.workersServiceName, workers: p.workers, masterPort: p.masterPort, gpusPerPod: p.gpus }) : []),
    { name: 'HOME', value: HOME },
    ...platform.trackingClientEnv(),
    { name: 'MLFLOW_EXPERIMENT_NAME', value: o.experimentName },
  ];
  const userEnv: EnvVar[] = [
    ...artifacts.env,
    ...(p.model ? [{ name: 'MLOPS_MODEL_NAME', value: p.model }] : []),
    { name: 'MLOPS_RUN_ID_FILE', value: RUN_ID_FILE },
    ...Object.entries(p.env).map(([name, value]) => ({ name, value })),
    ...secretEnvVars(p.secretEnv),
  ];

  const volumes: Volume[] = [...artifacts.volumes];
  const dataMounts: VolumeMount[] = [...artifacts.volumeMounts];
  if (p.scratch) {
    volumes.push({ name: 'scratch', emptyDir: { sizeLimit: p.scratch.sizeLimit } });
    dataMounts.push({ name: 'scratch', mountPath: p.scratch.mountPath });
  }
  if (p.sharedMemory) {
    volumes.push({ name: 'dshm', emptyDir: { medium: 'Memory', sizeLimit: p.sharedMemory } });
    dataMounts.push({ name: 'dshm', mountPath: '/dev/shm' });
  }
  const writablePaths = [HOME, RUN_DIR];
  const onRankZero = (cmd: string[]) => (distributed ? rankZeroOnly(cmd) : cmd);

  const steps: ContainerOptions[] = [];
  if (p.dataValidation) {
    const v = p.dataValidation;
    steps.push({
      name: STEP.validate,
      image: v.image ?? p.image,
      command: onRankZero([...v.command, ...(v.args ?? [])]),
      env: [...baseEnv, ...userEnv],
      envFromSecrets: p.envFromSecrets,
      resources: v.resources ?? { cpu: p.resources.cpu, memory: p.resources.memory, memoryLimit: p.resources.memoryLimit },
      volumeMounts: dataMounts,
      writablePaths,
    });
  }
  if (o.program) volumes.push({ name: 'program', configMap: { name: o.program.metadata.name, defaultMode: '0444' } });
  steps.push({
    name: STEP.train,
    image: p.image,
    command: p.command,
    args: p.args,
    env: [...baseEnv, ...userEnv],
    envFromSecrets: p.envFromSecrets,
    resources: { ...p.resources, gpus: p.gpus },
    volumeMounts: o.program ? [...dataMounts, { name: 'program', mountPath: TRAINING_PROGRAM_DIR, readOnly: true }] : dataMounts,
    writablePaths,
  });
  if (o.gate) {
    const g = o.gate.options;
    volumes.push({ name: 'gate-script', configMap: { name: nameOf(o.gate.script), defaultMode: '0444' } });
    steps.push({
      name: STEP.gate,
      image: g.image ?? p.image,
      command: onRankZero(promotionGateCommand(g)),
      env: [...baseEnv, ...promotionGateEnv(g, o.gate.modelName, o.gate.drift)],
      resources: g.resources,
      volumeMounts: [{ name: 'gate-script', mountPath: GATE_SCRIPT_DIR, readOnly: true }],
      writablePaths,
    });
  }
  const main = steps.pop()!;

  return buildPodSpec(applyWorkloadOptions({
    serviceAccountName: o.serviceAccountName,
    security: p.security,
    restartPolicy: 'Never',
    initContainers: steps,
    containers: [main],
    volumes,
    nodeSelector: p.nodeSelector,
    tolerations: (p.tolerations as Toleration[] | undefined) ??
      (p.gpus > 0 ? [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }] : undefined),
    affinity: artifacts.affinity,
    subdomain: distributed ? o.workersServiceName : undefined,
  }, o.workload, o.at, { env: true, tolerations: true }));
}
