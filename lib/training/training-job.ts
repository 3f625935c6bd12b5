import { Construct } from 'constructs';
import type { ConfigMapV1 } from '@cdktf/provider-kubernetes/lib/config-map-v1';
import type { ServiceV1 } from '@cdktf/provider-kubernetes/lib/service-v1';
import { parseProps } from '../core/props';
import { withDefaults, type SecretEnvValue, type WorkloadOptions } from '../core/workload-options';
import { applyObjectMetadata } from '../core/object-metadata';
import { fail } from '../core/errors';
import { cronPeriodSeconds, spreadSchedule } from '../core/cron';
import { selectorLabels, standardLabels } from '../core/labels';
import type { PodSpec, ResourceOptions, SecurityOptions, Toleration } from '../core/workload';
import { urlPort, type EgressTarget } from '../core/network';
import { WorkloadIdentity } from '../cluster/workload-identity';
import { openEgress } from '../cluster/mlops-namespace';
import type { ArtifactBinding } from '../stores/artifact-store';
import type { IMlopsPlatform } from '../core/platform-context';
import { workerNetwork } from './distributed';
import { promotionGateScript, type GateDriftSource, type PromotionGateOptions } from './promotion-gate';
import { trainingProgramFiles } from './training-program';
import { checkTrainingProps, trainingJobSchema } from './training-props';
import { trainingRun } from './training-run';
import { trainingPodSpec } from './training-steps';
import { podSecurityProblems } from '../core/workload';
import { claimKubernetesName, pascalCase } from '../core/names';
import type { WorkloadResource } from '../core/workload-resource';

export type { GateCondition, PromotionGateOptions } from './promotion-gate';

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
export interface TrainingJobProps extends WorkloadOptions {
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
   * Files of the training program (file name to content), mounted read-only at
   * `/opt/mlops/program` (`TRAINING_PROGRAM_DIR`) of the training step from a ConfigMap
   * `<name>-program`, e.g. a program the library ships (`churnExampleTraining`); the image
   * then needs only the program's libraries.
   * @default - none: the program is in the image
   */
  readonly programFiles?: Record<string, string>;
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
   * An `H` field is a value picked from the CronJob's namespace and name (`H(a-b)` one of a-b,
   * `H/n` every n-th from a picked start): `H 3 * * 0` spreads a fleet's weekly runs over the
   * 03:00 hour, each job at the same minute every week ({@link TrainingJob.schedule}).
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
  readonly secretEnv?: Record<string, SecretEnvValue>;
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
   * Direct access of the job's pods to the artifact store (grant, env, egress), e.g. to read a
   * training dataset. MLflow clients log runs and models through the tracking server either way,
   * so a job needs none to train and register a model. (On the volume store, access mounts the
   * volume, which pins a ReadWriteOnce volume's jobs to the tracking server's node.)
   * @default 'none'
   */
  readonly artifactAccess?: 'none' | 'read' | 'readwrite';
  /**
   * Key prefix the access is limited to, e.g. `datasets/churn/`. Only stores that scope access by
   * prefix (`IArtifactStore.scopesPrefixes`; S3: an IAM policy per grant) can honour it; with the
   * in-cluster volume store (mounted whole) or an S3-compatible store (shared credentials) it is refused
   * rather than ignored.
   * @default - the whole store
   */
  readonly artifactPrefix?: string;
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
  /** The schedule as the CronJob has it (the `schedule` prop with its `H` fields filled in), when scheduled. */
  public readonly schedule?: string;
  /** Namespace of the Job or CronJob (the platform's). */
  public readonly namespaceName: string;
  /** Labels that select this job's pods (all runs). */
  public readonly podLabels: Record<string, string>;
  /** The pod spec shared by every run, for inspection. */
  public readonly podSpec: PodSpec;
  public readonly identity: WorkloadIdentity;
  /** The one-off Job (no `schedule`). */
  public readonly job?: WorkloadResource;
  /** The CronJob (`schedule`). */
  public readonly cronJob?: WorkloadResource;
  /** Headless Service through which the pods of a distributed run find each other. */
  public readonly service?: ServiceV1;
  /** ConfigMap with the promotion gate script. */
  public readonly gateScript?: ConfigMapV1;
  /** ConfigMap with the training program's files (`programFiles`). */
  public readonly programFiles?: ConfigMapV1;

  constructor(scope: Construct, id: string, props: TrainingJobProps) {
    super(scope, id);
    const p = parseProps(trainingJobSchema, props, this);
    const { gateModel } = checkTrainingProps(p, props, this.node.path);
    const platform = p.platform as IMlopsPlatform;
    const ns = platform.namespace.name;
    const workload = withDefaults(p, platform.workloadDefaults);
    applyObjectMetadata(this, workload);

    const ident = { name: 'training-job', instance: p.name, component: 'training' };
    const labels = standardLabels(ident);
    this.podLabels = selectorLabels(ident);
    this.jobName = p.name;
    this.experimentName = p.experimentName ?? p.name;
    this.cronJobName = p.schedule ? p.name : undefined;
    this.namespaceName = platform.namespace.literalName;
    this.schedule = p.schedule && spreadSchedule(p.schedule, `${this.namespaceName}/${p.name}`);
    const workersServiceName = `${p.name}-workers`;
    claimKubernetesName(this, 'name', p.schedule ? 'CronJob' : 'Job', ns, p.name);
    if (p.workers > 1) claimKubernetesName(this, 'name', 'Service', ns, workersServiceName);
    for (const problem of podSecurityProblems(p.security, platform.namespace.podSecurity)) fail(this.node.path, problem.prop, problem.message);

    this.identity = new WorkloadIdentity(this, 'Identity', {
      namespace: ns, name: `${p.name}-training`, kind: 'training', labels, cloud: platform.cloudIdentity,
    });
    const store = platform.artifactStore;
    const access = p.artifactAccess ?? 'none';
    if (p.artifactPrefix && access === 'none') {
      fail(this.node.path, 'artifactPrefix', `got ${JSON.stringify(p.artifactPrefix)} without artifactAccess; set artifactAccess to 'read' or 'readwrite'`);
    }
    if (p.artifactPrefix && !store.scopesPrefixes) {
      const where = (store as unknown as { node?: { path: string } }).node?.path ?? 'the platform\'s store';
      fail(this.node.path, 'artifactPrefix', `got ${JSON.stringify(p.artifactPrefix)}; the artifact store (${store.kind}, ${where}) gives its pods all of it (a volume mounted whole, shared credentials), so access cannot be limited to a prefix: leave artifactPrefix out, or use a store that scopes grants such as S3ArtifactStore`);
    }
    const artifacts: ArtifactBinding =
      access === 'none'
        ? { env: [], volumes: [], volumeMounts: [], podLabels: {} }
        : store.bind({ identity: this.identity, access, grantId: `TrainingArtifacts${pascalCase(p.name)}`, prefix: p.artifactPrefix });
    const drift = p.promotionGate?.blockOnDrift ? gateDriftSource(platform, p.promotionGate.driftModel ?? p.model ?? gateModel!, this.node.path) : undefined;

    // The tracking server is opened by the client label in the pod labels; the rest by policies the
    // namespace shares among all workloads that reach the same target (their pods carry its label).
    const egress: EgressTarget[] = [
      ...(access === 'none' ? [] : store.egress),
      ...(platform.cloudIdentity?.credentialEgress ?? []),
      ...(p.extraEgress as EgressTarget[]),
      // The gate reads the drift verdict from the Pushgateway.
      ...(drift ? [{ name: 'pushgateway', to: [{ namespace: platform.monitoring!.prometheusNamespace }], ports: [{ port: urlPort(drift.metricsUrl) }] }] : []),
    ];
    const names = egress.map((t) => t.name);
    const dup = names.find((n, i) => names.indexOf(n) !== i);
    if (dup !== undefined) fail(this.node.path, 'extraEgress', `two egress targets are named ${JSON.stringify(dup)}; names must be unique`);
    const opened = openEgress(platform.namespace, this, p.name, this.podLabels, egress);
    const podTemplateLabels = { ...labels, ...platform.trackingClientLabels(), ...artifacts.podLabels, ...opened.podLabels };
    const gate = p.promotionGate && { options: p.promotionGate, script: promotionGateScript(platform.namespace, ns), modelName: gateModel!, drift };
    this.gateScript = gate?.script;
    this.programFiles = p.programFiles && trainingProgramFiles(this, p.name, ns, labels, p.programFiles);
    this.podSpec = trainingPodSpec({
      props: p, platform, artifacts, gate, workersServiceName, program: this.programFiles,
      serviceAccountName: this.identity.serviceAccountName,
      experimentName: this.experimentName,
      workload, at: this.node.path,
    });
    const run = trainingRun(this, { props: p, schedule: this.schedule, namespace: ns, labels, podSpec: this.podSpec, podLabels: podTemplateLabels });
    this.job = run.job;
    this.cronJob = run.cronJob;
    if (p.workers > 1) {
      this.service = workerNetwork(this, {
        name: p.name, namespace: platform.namespace, labels, podLabels: this.podLabels, serviceName: workersServiceName, masterPort: p.masterPort,
      });
    }

    platform.monitoring?.watch({
      kind: 'training',
      name: p.name,
      namespace: platform.namespace.literalName,
      model: p.model ?? gateModel,
      cronJobName: this.cronJobName,
      jobName: p.schedule ? undefined : p.name,
      schedulePeriodSeconds: this.schedule ? cronPeriodSeconds(this.schedule) : undefined,
      severity: p.alertSeverity,
    });
  }
}

/** The Pushgateway the gate reads `mlops_drift_detected` from; blockOnDrift needs one. */
function gateDriftSource(platform: IMlopsPlatform, model: string, path: string): GateDriftSource {
  const metricsUrl = platform.monitoring?.pushgatewayUrl;
  if (!metricsUrl) {
    fail(path, 'promotionGate.blockOnDrift', 'needs a platform whose monitoring has a Pushgateway (the drift checks push their verdicts there); the platform has none');
  }
  return { metricsUrl, namespace: platform.namespace.literalName, model };
}
