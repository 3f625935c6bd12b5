import type { Construct } from 'constructs';
import { ConfigMapV1 } from '@cdktf/provider-kubernetes/lib/config-map-v1';
import { readScript } from '../core/assets';
import { SharedProgram } from '../core/shared-program';
import { buildPodSpec, type ContainerOptions, type EnvVar, type PodSpec } from '../core/workload';
import { applyWorkloadOptions, type WorkloadOptions } from '../core/workload-options';
import type { ArtifactBinding } from '../stores/artifact-store';
import type { IMlopsPlatform } from '../core/platform-context';
import { REGISTRY_PORT, type ModelServer, type ParsedModelProps } from './model-props';
import { withVariant, type VariantName } from './model-variant';
import { nameOf } from '../core/references';

const SCRIPT_DIR = '/opt/mlops';
/** Time for the Service's endpoints to drop a terminating pod before its server stops (registry image has sleep). */
const DRAIN_SECONDS = 5;

/**
 * The metrics wrapper around MLflow's scoring server, mounted into registry-model pods:
 * one per namespace (`mlops-program-serve-model`, under `namespaceScope`), shared by its models.
 */
export function servingScriptsConfigMap(namespaceScope: Construct, namespace: string): ConfigMapV1 {
  return SharedProgram.of(namespaceScope, { program: 'serve-model', namespace, files: () => ({ 'serve_model.py': readScript('serving', 'serve_model.py') }) });
}

/** Where the pods log requests and predictions for drift monitoring. */
export interface InferenceLogs {
  readonly binding: ArtifactBinding;
  /** `MLOPS_INFERENCE_LOG_URI` as the pod sees it. */
  readonly uri: string;
}

/** What the pods of every variant share. */
export interface ModelPodsOptions {
  readonly props: ParsedModelProps;
  readonly server: ModelServer;
  readonly platform: IMlopsPlatform;
  /** Object labels of the model. */
  readonly labels: Record<string, string>;
  /** Labels selecting the pods of all variants. */
  readonly podSelector: Record<string, string>;
  readonly serviceAccountName: string;
  /** The wrapper script (registry models). */
  readonly scripts?: ConfigMapV1;
  readonly inferenceLogs?: InferenceLogs;
  /** The model's workload options, the platform's defaults merged in. */
  readonly workload: WorkloadOptions;
  /** Construct path, for errors. */
  readonly at: string;
}

/**
 * The pod template of a variant: one `model` container (the registry wrapper
 * or the custom server) with probes on its health path, the tracking client
 * env, the inference-log binding, and spread over nodes and zones.
 */
export class ModelPods {
  constructor(private readonly o: ModelPodsOptions) {}

  /** Pod labels: the variant's, plus those that open the tracking server and the store to it. */
  public labels(variant: VariantName): Record<string, string> {
    return { ...withVariant(this.o.labels, variant), ...this.o.platform.trackingClientLabels(), ...(this.o.inferenceLogs?.binding.podLabels ?? {}) };
  }

  /** The pod spec of a variant serving `source` (a registry URI or an image). */
  public spec(variant: VariantName, source: string): PodSpec {
    const { props: p, scripts } = this.o;
    const logs = this.o.inferenceLogs?.binding;
    return buildPodSpec(applyWorkloadOptions({
      serviceAccountName: this.o.serviceAccountName,
      security: p.security,
      containers: [this.container(variant, source)],
      volumes: [
        ...(scripts ? [{ name: 'scripts', configMap: { name: nameOf(scripts), defaultMode: '0444' } }] : []),
        ...(logs?.volumes ?? []),
      ],
      affinity: logs?.affinity,
      terminationGracePeriodSeconds: 30,
      topologySpread: ['kubernetes.io/hostname', 'topology.kubernetes.io/zone'].map((topologyKey) => ({
        maxSkew: 1,
        topologyKey,
        whenUnsatisfiable: 'ScheduleAnyway',
        labelSelector: [{ matchLabels: withVariant(this.o.podSelector, variant) }],
      })),
    }, this.o.workload, this.o.at));
  }

  private container(variant: VariantName, source: string): ContainerOptions {
    const { props: p, server, platform, inferenceLogs } = this.o;
    const logs = inferenceLogs?.binding;
    const env: EnvVar[] = [
      { name: 'HOME', value: '/tmp' },
      { name: 'MLOPS_MODEL_NAME', value: server.name },
      { name: 'MLOPS_MODEL_VARIANT', value: variant },
      ...platform.trackingClientEnv(),
      ...(inferenceLogs ? [...inferenceLogs.binding.env, { name: 'MLOPS_INFERENCE_LOG_URI', value: inferenceLogs.uri }] : []),
    ];
    const health = server.healthPath;
    const probes = {
      startupProbe: { httpGet: { path: health, port: 'http' }, timing: { periodSeconds: 5, failureThreshold: Math.ceil(p.startupTimeoutSeconds / 5) } },
      readinessProbe: { httpGet: { path: health, port: 'http' }, timing: { periodSeconds: 5, failureThreshold: 3 } },
      livenessProbe: { httpGet: { path: health, port: 'http' }, timing: { periodSeconds: 15, timeoutSeconds: 5, failureThreshold: 4 } },
    };
    const common = { name: 'model', resources: p.resources, writablePaths: ['/tmp'], ...probes };
    if (server.registry) {
      return {
        ...common,
        image: p.mlflowImage,
        command: ['python', `${SCRIPT_DIR}/serve_model.py`],
        env: [
          { name: 'MLOPS_MODEL_URI', value: source },
          { name: 'MLOPS_PORT', value: String(REGISTRY_PORT) },
          { name: 'MLFLOW_MODELS_WORKERS', value: String(p.workers) },
          { name: 'MLFLOW_SCORING_SERVER_REQUEST_TIMEOUT', value: String(p.requestTimeoutSeconds) },
          { name: 'PYTHONDONTWRITEBYTECODE', value: '1' },
          ...env,
        ],
        ports: [{ name: 'http', containerPort: REGISTRY_PORT }],
        drainSeconds: DRAIN_SECONDS,
        volumeMounts: [{ name: 'scripts', mountPath: SCRIPT_DIR, readOnly: true }, ...(logs?.volumeMounts ?? [])],
      };
    }
    return {
      ...common,
      image: source,
      command: p.command,
      args: p.args,
      env,
      ports: [{ name: 'http', containerPort: server.servingPort }, ...(server.metricsPortName === 'metrics' ? [{ name: 'metrics', containerPort: server.metrics!.port }] : [])],
      volumeMounts: logs?.volumeMounts.length ? logs.volumeMounts : undefined,
    };
  }
}
