import { Construct } from 'constructs';
import { z } from 'zod';
import { JobV1 } from '@cdktf/provider-kubernetes/lib/job-v1';
import { CronJobV1 } from '@cdktf/provider-kubernetes/lib/cron-job-v1';
import { ConfigMapV1 } from '@cdktf/provider-kubernetes/lib/config-map-v1';
import { ServiceV1 } from '@cdktf/provider-kubernetes/lib/service-v1';
import { parseProps } from '../core/props';
import { fail } from '../core/errors';
import { cronPeriodSeconds, cronSchedule, envVarName, imageRef, k8sName, k8sNamePrefix, memoryQuantity, nonNegativeInt, positiveInt } from '../core/validators';
import { selectorLabels, standardLabels } from '../core/labels';
import { buildPodSpec, envFromSecret, resourcesSchema, securityOptionsSchema, type ContainerOptions, type EnvVar, type PodSpec, type ResourceOptions, type SecurityOptions, type Toleration, type Volume, type VolumeMount } from '../core/workload';
import { readScript } from '../core/assets';
import type { EgressTarget } from '../core/network';
import { WorkloadIdentity } from '../cluster/workload-identity';
import { allowEgressTargets } from '../cluster/mlops-namespace';
import type { ArtifactBinding } from '../stores/artifact-store';
import type { IMlopsPlatform } from '../platform/platform-context';
import { DISTRIBUTED_ENV_NAMES, distributedEnv, rankZeroOnly } from './distributed';
import { GATE_SCRIPT, GATE_SCRIPT_DIR, promotionGateCommand, promotionGateEnv, promotionGateSchema, RUN_DIR, RUN_ID_FILE, type PromotionGateOptions } from './promotion-gate';

export type { PromotionGateOptions } from './promotion-gate';

/** A step that checks the input data before training (e.g. a Great Expectations checkpoint); a non-zero exit fails the run. */
export interface DataValidationOptions {
  readonly command: string[];
  readonly args?: string[];
  /** @default - the training image */
  readonly image?: string;
  /** @default - the training step's CPU and memory, without GPUs (the pod reserves the larger of the steps anyway) */
  readonly resources?: ResourceOptions;
}

/** A size-limited emptyDir for datasets and checkpoints (deleted with the pod). */
export interface ScratchOptions {
  readonly sizeLimit: string;
  /** @default '/scratch' */
  readonly mountPath?: string;
}

/** Properties of a {@link TrainingJob}. */
export interface TrainingJobProps {
  /** The platform the job attaches to: namespace, tracking server, artifact store, identity, monitoring. */
  readonly platform: IMlopsPlatform;
  /** Name of the Job or CronJob (and prefix of its other objects). */
  readonly name: string;
  /** Training image, pinned by tag (not `latest`) or digest. */
  readonly image: string;
  /** Training command, e.g. `['python', 'train.py']`. `$(VAR)` expands env vars, as in any Kubernetes command. */
  readonly command: string[];
  /** @default - none */
  readonly args?: string[];
  /**
   * MLflow experiment (`MLFLOW_EXPERIMENT_NAME`).
   * @default - the job name
   */
  readonly experimentName?: string;
  /**
   * Registered model the job trains (monitoring label; default of `promotionGate.modelName`; `MLOPS_MODEL_NAME`).
   * @default - none
   */
  readonly model?: string;
  /**
   * Cron schedule (5 fields, e.g. `0 0 * * 0` weekly); with it the job is a CronJob, without it a one-off Job.
   * @default - a one-off Job, run when the stack is applied (and again whenever its definition changes)
   */
  readonly schedule?: string;
  /**
   * IANA time zone of the schedule, e.g. `Europe/Berlin`.
   * @default - the controller's time zone (UTC on managed clusters)
   */
  readonly timeZone?: string;
  /**
   * Pause the schedule.
   * @default false
   */
  readonly suspend?: boolean;
  /**
   * CPU and memory of the training step (GPUs: the `gpus` prop).
   * @default { cpu: '1', memory: '2Gi' }
   */
  readonly resources?: ResourceOptions;
  /**
   * NVIDIA GPUs per pod (`nvidia.com/gpu`). With GPUs the pod tolerates the `nvidia.com/gpu` taint
   * (unless `tolerations` is given); the GPU request itself places it on GPU nodes.
   * @default 0
   */
  readonly gpus?: number;
  /**
   * Node selector, e.g. `{ 'nvidia.com/gpu.product': 'NVIDIA-A10G' }`.
   * @default - none
   */
  readonly nodeSelector?: Record<string, string>;
  /**
   * Tolerations; replaces the default GPU toleration.
   * @default - with GPUs: `nvidia.com/gpu` Exists NoSchedule; else none
   */
  readonly tolerations?: Toleration[];
  /**
   * A size-limited scratch directory (emptyDir) for data and checkpoints.
   * @default - none; /tmp (1Gi) is always writable
   */
  readonly scratch?: ScratchOptions;
  /**
   * Size of a memory-backed /dev/shm (PyTorch DataLoader workers and NCCL need more than the 64Mi default).
   * Counts against the memory limit.
   * @default - the runtime's default /dev/shm
   */
  readonly sharedMemory?: string;
  /**
   * Env of the data-validation and training steps.
   * @default - none
   */
  readonly env?: Record<string, string>;
  /**
   * Env from keys of existing Secrets, e.g. `{ HF_TOKEN: { secretName: 'hf', key: 'token' } }`.
   * @default - none
   */
  readonly secretEnv?: Record<string, { readonly secretName: string; readonly key: string }>;
  /**
   * Existing Secrets whose every key becomes an env var of the data-validation and training steps.
   * @default - none
   */
  readonly envFromSecrets?: string[];
  /**
   * Pods of a distributed run (Indexed Job + headless Service, see `distributed.ts` for the env).
   * @default 1
   */
  readonly workers?: number;
  /**
   * Rendezvous port of rank 0 (`MASTER_PORT`).
   * @default 29500
   */
  readonly masterPort?: number;
  /**
   * Data validation before training; a failure fails the run without retry.
   * @default - none
   */
  readonly dataValidation?: DataValidationOptions;
  /**
   * Promotion gate after training; a rejection fails the run without retry.
   * @default - none: training registers versions but no alias moves
   */
  readonly promotionGate?: PromotionGateOptions;
  /**
   * Retries of a failed pod (validation and gate failures are never retried; node drains and preemptions do not count).
   * @default 1
   */
  readonly backoffLimit?: number;
  /**
   * Wall-clock limit of a run in seconds; a hung job must not hold a GPU forever.
   * @default 21600 (6 hours)
   */
  readonly activeDeadlineSeconds?: number;
  /**
   * Seconds a finished run (and its pods and logs) is kept.
   * @default - scheduled: 604800 (7 days); one-off: kept, because Terraform would re-create
   * (and so re-run) a one-off Job that the TTL deleted
   */
  readonly ttlSecondsAfterFinished?: number;
  /**
   * Seconds after a missed scheduled time during which the run may still start.
   * @default 3600
   */
  readonly startingDeadlineSeconds?: number;
  /** @default 3 */
  readonly successfulJobsHistoryLimit?: number;
  /** @default 3 */
  readonly failedJobsHistoryLimit?: number;
  /**
   * Direct access of the job's pods to the artifact store (grant, env, egress). MLflow clients
   * upload through the tracking server either way.
   * @default - 'readwrite' for object stores; 'none' for the volume store (mounting a ReadWriteOnce
   * volume would pin the job to the tracking server's node)
   */
  readonly artifactAccess?: 'none' | 'read' | 'readwrite';
  /**
   * More egress, e.g. to a data warehouse; the namespace denies everything else.
   * @default - none
   */
  readonly extraEgress?: EgressTarget[];
  /**
   * Severity of the job's alerts (failed run, missed schedule).
   * @default - the monitoring default
   */
  readonly alertSeverity?: 'critical' | 'warning' | 'info';
  /**
   * Opt-outs from the secure pod defaults.
   * @default - none
   */
  readonly security?: SecurityOptions;
}

const absPath = z.string().regex(/^\/[^:]*$/, { message: 'must be an absolute path such as "/scratch"' });
const command = z.array(z.string()).min(1, { message: 'must have at least one element, e.g. ["python", "train.py"]' });
const egressTarget = z.strictObject({
  name: k8sName,
  to: z.array(z.strictObject({
    podLabels: z.record(z.string(), z.string()).optional(),
    namespace: k8sName.optional(),
    cidr: z.string().optional(),
    except: z.array(z.string()).optional(),
  })).min(1),
  ports: z.array(z.strictObject({ port: z.number().int().min(1).max(65535), protocol: z.enum(['TCP', 'UDP']).optional() })),
});

const schema = z.strictObject({
  platform: z.custom<IMlopsPlatform>((v) => typeof v === 'object' && v !== null && 'trackingClientEnv' in v && 'namespace' in v, {
    message: 'must be an IMlopsPlatform (e.g. an MlopsPlatform)',
  }),
  name: k8sNamePrefix,
  image: imageRef,
  command,
  args: z.array(z.string()).optional(),
  experimentName: z.string().min(1).optional(),
  model: z.string().min(1).optional(),
  schedule: cronSchedule.optional(),
  timeZone: z.string().regex(/^[A-Za-z_]+(?:\/[A-Za-z0-9_+-]+)*$|^UTC$/, { message: 'must be an IANA time zone such as "Europe/Berlin" or "UTC"' }).optional(),
  suspend: z.boolean().default(false),
  resources: resourcesSchema.default({ cpu: '1', memory: '2Gi' }),
  gpus: nonNegativeInt.default(0),
  nodeSelector: z.record(z.string(), z.string()).optional(),
  tolerations: z.array(z.object({}).passthrough()).optional(),
  scratch: z.strictObject({ sizeLimit: memoryQuantity, mountPath: absPath.default('/scratch') }).optional(),
  sharedMemory: memoryQuantity.optional(),
  env: z.record(envVarName, z.string()).default({}),
  secretEnv: z.record(envVarName, z.strictObject({ secretName: k8sName, key: z.string().min(1) })).default({}),
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
  extraEgress: z.array(egressTarget).default([]),
  alertSeverity: z.enum(['critical', 'warning', 'info']).optional(),
  security: securityOptionsSchema.optional(),
});

const HOME = '/tmp';
const WEEK = 7 * 86400;
const STEP = { validate: 'data-validation', train: 'train', gate: 'promotion-gate' } as const;

/**
 * A training run as a Kubernetes Job (one-off) or CronJob (`schedule`): the
 * user's image and command with the tracking URI, experiment and artifact-store
 * access injected, optional GPUs, and safe limits (deadline, retries, TTL,
 * Forbid concurrency). Steps run in order in one pod: data validation and
 * training as init containers, the promotion gate as the main container; any
 * failing step fails the Job. `workers > 1` runs an Indexed Job whose pods find
 * rank 0 through a headless Service.
 *
 * The training code should write its MLflow run id to `$MLOPS_RUN_ID_FILE`
 * (`/mlops/run/run_id`) so that the gate judges exactly that run's model
 * version; otherwise the gate judges the model's newest version.
 */
export class TrainingJob extends Construct {
  /** Name of the Job or CronJob. */
  public readonly jobName: string;
  /** MLflow experiment of the runs. */
  public readonly experimentName: string;
  /** The CronJob's name, when scheduled. */
  public readonly cronJobName?: string;
  /** Labels that select this job's pods (all runs). */
  public readonly podLabels: Record<string, string>;
  /** The pod spec shared by every run, for inspection. */
  public readonly podSpec: PodSpec;
  public readonly identity: WorkloadIdentity;
  /** The one-off Job (no `schedule`). */
  public readonly job?: JobV1;
  /** The CronJob (`schedule`). */
  public readonly cronJob?: CronJobV1;
  /** Headless Service through which the pods of a distributed run find each other. */
  public readonly service?: ServiceV1;
  /** ConfigMap with the promotion gate script. */
  public readonly gateScript?: ConfigMapV1;

  constructor(scope: Construct, id: string, props: TrainingJobProps) {
    super(scope, id);
    const p = parseProps(schema, props, this);
    const path = this.node.path;
    const platform = p.platform as IMlopsPlatform;
    const ns = platform.namespace.name;

    // ---- cross-prop checks --------------------------------------------------
    if (p.resources.gpus !== undefined) fail(path, 'resources.gpus', `got ${p.resources.gpus}; set GPUs with the top-level gpus prop`);
    if (p.timeZone && !p.schedule) fail(path, 'timeZone', `got ${JSON.stringify(p.timeZone)}; a time zone needs a schedule`);
    if (props.suspend !== undefined && !p.schedule) fail(path, 'suspend', 'suspend applies to a schedule; a one-off Job without schedule cannot be suspended');
    for (const k of ['startingDeadlineSeconds', 'successfulJobsHistoryLimit', 'failedJobsHistoryLimit'] as const) {
      if (props[k] !== undefined && !p.schedule) fail(path, k, `got ${props[k]}; ${k} applies to a schedule only`);
    }
    if (props.masterPort !== undefined && p.workers === 1) fail(path, 'masterPort', 'applies to distributed runs only (workers > 1)');
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

    // ---- identity, labels, artifact access ------------------------------------
    const ident = { name: 'training-job', instance: p.name, component: 'training' };
    const labels = standardLabels(ident);
    this.podLabels = selectorLabels(ident);
    this.jobName = p.name;
    this.experimentName = p.experimentName ?? p.name;
    this.cronJobName = p.schedule ? p.name : undefined;
    this.identity = new WorkloadIdentity(this, 'Identity', {
      namespace: ns, name: `${p.name}-training`, kind: 'training', labels, cloud: platform.cloudIdentity,
    });
    const store = platform.artifactStore;
    const access = p.artifactAccess ?? (store.kind === 'volume' ? 'none' : 'readwrite');
    const artifacts: ArtifactBinding =
      access === 'none'
        ? { env: [], volumes: [], volumeMounts: [], podLabels: {} }
        : store.bind({ identity: this.identity, access, grantId: 'TrainingArtifacts' });
    const podTemplateLabels = { ...labels, ...platform.trackingClientLabels(), ...artifacts.podLabels };

    // ---- env ----------------------------------------------------------------
    const distributed = p.workers > 1;
    const serviceName = `${p.name}-workers`;
    const baseEnv: EnvVar[] = [
      ...(distributed ? distributedEnv({ serviceName, workers: p.workers, masterPort: p.masterPort, gpusPerPod: p.gpus }) : []),
      { name: 'HOME', value: HOME },
      ...platform.trackingClientEnv(),
      { name: 'MLFLOW_EXPERIMENT_NAME', value: this.experimentName },
    ];
    const userEnv: EnvVar[] = [
      ...artifacts.env,
      ...(p.model ? [{ name: 'MLOPS_MODEL_NAME', value: p.model }] : []),
      { name: 'MLOPS_RUN_ID_FILE', value: RUN_ID_FILE },
      ...Object.entries(p.env).map(([name, value]) => ({ name, value })),
      ...Object.entries(p.secretEnv).map(([name, ref]) => envFromSecret(name, ref.secretName, ref.key)),
    ];

    // ---- volumes ----------------------------------------------------------------
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

    // ---- steps ----------------------------------------------------------------
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
    steps.push({
      name: STEP.train,
      image: p.image,
      command: p.command,
      args: p.args,
      env: [...baseEnv, ...userEnv],
      envFromSecrets: p.envFromSecrets,
      resources: { ...p.resources, gpus: p.gpus },
      volumeMounts: dataMounts,
      writablePaths,
    });
    if (p.promotionGate) {
      const g = p.promotionGate;
      this.gateScript = new ConfigMapV1(this, 'GateScript', {
        metadata: { name: `${p.name}-gate`, namespace: ns, labels },
        data: { [GATE_SCRIPT]: readScript('training', GATE_SCRIPT) },
      });
      volumes.push({ name: 'gate-script', configMap: { name: this.gateScript.metadata.name, defaultMode: '0444' } });
      steps.push({
        name: STEP.gate,
        image: g.image ?? p.image,
        command: onRankZero(promotionGateCommand(g)),
        env: [...baseEnv, ...promotionGateEnv(g, gateModel!)],
        resources: g.resources,
        volumeMounts: [{ name: 'gate-script', mountPath: GATE_SCRIPT_DIR, readOnly: true }],
        writablePaths,
      });
    }
    const main = steps.pop()!;

    this.podSpec = buildPodSpec({
      serviceAccountName: this.identity.serviceAccountName,
      security: p.security,
      restartPolicy: 'Never',
      initContainers: steps,
      containers: [main],
      volumes,
      nodeSelector: p.nodeSelector,
      tolerations: (p.tolerations as Toleration[] | undefined) ??
        (p.gpus > 0 ? [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }] : undefined),
      affinity: artifacts.affinity,
      subdomain: distributed ? serviceName : undefined,
    });

    // ---- the Job or CronJob -----------------------------------------------------
    const jobSpec = {
      backoffLimit: p.backoffLimit,
      activeDeadlineSeconds: p.activeDeadlineSeconds,
      ttlSecondsAfterFinished:
        p.ttlSecondsAfterFinished !== undefined ? String(p.ttlSecondsAfterFinished) : p.schedule ? String(WEEK) : undefined,
      ...(distributed ? { completionMode: 'Indexed', completions: p.workers, parallelism: p.workers } : {}),
      podFailurePolicy: {
        rule: [
          // Node drains and preemptions are not the job's fault; retry without counting.
          { action: 'Ignore', onPodCondition: [{ type: 'DisruptionTarget', status: 'True' }] },
          // Bad data and a rejected model do not improve on retry; do not retrain for them.
          ...(p.dataValidation ? [{ action: 'FailJob', onExitCodes: { containerName: STEP.validate, operator: 'NotIn', values: [0] } }] : []),
          ...(p.promotionGate ? [{ action: 'FailJob', onExitCodes: { containerName: STEP.gate, operator: 'NotIn', values: [0] } }] : []),
        ],
      },
      template: { metadata: { labels: podTemplateLabels }, spec: this.podSpec },
    };
    if (p.schedule) {
      this.cronJob = new CronJobV1(this, 'Resource', {
        metadata: { name: p.name, namespace: ns, labels },
        spec: {
          schedule: p.schedule,
          timezone: p.timeZone,
          suspend: p.suspend,
          concurrencyPolicy: 'Forbid',
          startingDeadlineSeconds: p.startingDeadlineSeconds,
          successfulJobsHistoryLimit: p.successfulJobsHistoryLimit,
          failedJobsHistoryLimit: p.failedJobsHistoryLimit,
          jobTemplate: { metadata: { labels }, spec: jobSpec },
        },
      });
    } else {
      this.job = new JobV1(this, 'Resource', {
        metadata: { name: p.name, namespace: ns, labels },
        spec: jobSpec,
        // Training takes hours; `apply` must not wait for it.
        waitForCompletion: false,
      });
    }

    // ---- distributed: rank discovery and pod-to-pod traffic -------------------
    if (distributed) {
      this.service = new ServiceV1(this, 'Workers', {
        metadata: { name: serviceName, namespace: ns, labels },
        spec: {
          clusterIp: 'None',
          selector: this.podLabels,
          // Ranks must resolve each other before any of them is ready.
          publishNotReadyAddresses: true,
          port: [{ name: 'rendezvous', port: p.masterPort, targetPort: String(p.masterPort) }],
        },
      });
      // NCCL and Gloo open connections on ephemeral ports besides MASTER_PORT: allow all TCP among the job's pods.
      platform.namespace.allowIngress(this, 'AllowPeersIngress', {
        name: `${p.name}-peers-ingress`, podLabels: this.podLabels, from: [{ podLabels: this.podLabels }], ports: [],
      });
      platform.namespace.allowEgress(this, 'AllowPeersEgress', {
        name: `${p.name}-peers-egress`, podLabels: this.podLabels, to: [{ podLabels: this.podLabels }], ports: [],
      });
    }

    // ---- egress: the tracking server is opened by the client label; the rest here ----
    const egress: EgressTarget[] = [
      ...(access === 'none' ? [] : store.egress),
      ...(platform.cloudIdentity?.credentialEgress ?? []),
      ...(p.extraEgress as EgressTarget[]),
    ];
    const names = egress.map((t) => t.name);
    const dup = names.find((n, i) => names.indexOf(n) !== i);
    if (dup !== undefined) fail(path, 'extraEgress', `two egress targets are named ${JSON.stringify(dup)}; names must be unique`);
    allowEgressTargets(platform.namespace, this, p.name, this.podLabels, egress);

    platform.monitoring?.watch({
      kind: 'training',
      name: p.name,
      namespace: ns,
      model: p.model ?? gateModel,
      cronJobName: this.cronJobName,
      jobName: p.schedule ? undefined : p.name,
      schedulePeriodSeconds: p.schedule ? cronPeriodSeconds(p.schedule) : undefined,
      severity: p.alertSeverity,
    });
  }
}
