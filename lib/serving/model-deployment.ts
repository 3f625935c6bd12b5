import { Construct } from 'constructs';
import type { ServiceV1 } from '@cdktf/provider-kubernetes/lib/service-v1';
import type { IngressV1 } from '@cdktf/provider-kubernetes/lib/ingress-v1';
import type { NetworkPolicyV1 } from '@cdktf/provider-kubernetes/lib/network-policy-v1';
import type { Release } from '@cdktf/provider-helm/lib/release';
import { TerraformOutput } from '../core/cdktf';
import { parseProps } from '../core/props';
import { selectorLabels, standardLabels } from '../core/labels';
import { MODEL_LABEL } from '../core/observability';
import type { ResourceOptions, SecurityOptions } from '../core/workload';
import { withDefaults, type WorkloadOptions } from '../core/workload-options';
import { applyObjectMetadata } from '../core/object-metadata';
import { WorkloadIdentity } from '../cluster/workload-identity';
import { DisruptionBudgets } from '../cluster/disruption-budgets';
import type { IMlopsPlatform } from '../core/platform-context';
import { allowModelTraffic, CANARY_EFFECTIVE_WEIGHT_ANNOTATION, exposeModel } from './model-exposure';
import { ModelPods, servingScriptsConfigMap, type InferenceLogs } from './model-pods';
import {
  modelDeploymentSchema,
  resolveModelServer,
  type ModelAutoscalingOptions,
  type ModelCanaryOptions,
  type ModelGatewayOptions,
  type ModelIngressOptions,
  type ModelMetricsOptions,
} from './model-props';
import { planReplicas, variantAutoscaling } from './model-replicas';
import { ModelVariant, withVariant } from './model-variant';
import { CanaryJudge } from './canary-judge';
import { judgedAliases } from './model-props';
import type { RequestRateMetrics } from './request-rate-metrics';
import { podSecurityProblems } from '../core/workload';
import { claimKubernetesName, pascalCase } from '../core/names';
import { fail } from '../core/errors';

export { CANARY_EFFECTIVE_WEIGHT_ANNOTATION } from './model-exposure';
export type { ModelAutoscalingOptions, ModelCanaryOptions, ModelGatewayOptions, ModelIngressOptions, ModelMetricsOptions } from './model-props';

/** Pod label that lets a pod call a model (value: the model's name). */
export const MODEL_CLIENT_LABEL = 'mlops.cdktf.io/model-client';

/** Properties of a {@link ModelDeployment}. */
export interface ModelDeploymentProps extends WorkloadOptions {
  /** The platform: tracking URI, namespace and network policies, identity, artifact store, monitoring. */
  readonly platform: IMlopsPlatform;
  /**
   * Name of the Deployment, Service and other objects, and the `model` label of its metrics.
   * @default - the registry model's name, lowercased (required with `image`)
   */
  readonly name?: string;
  /**
   * Registry model served by MLflow's scoring server: `models:/<name>@<alias>` or
   * `models:/<name>/<version>`. The alias is resolved when a pod starts. The model's
   * libraries must be in `mlflowImage` (nothing is installed at start).
   */
  readonly model?: string;
  /** A custom server image (e.g. FastAPI), pinned. Exclusive with `model`. */
  readonly image?: string;
  /** Image that serves registry models. @default DEFAULT_IMAGES.mlflow */
  readonly mlflowImage?: string;
  /** Port of a custom server. @default 8080 */
  readonly port?: number;
  /** Health path of a custom server (startup, readiness, liveness). @default '/health' */
  readonly healthPath?: string;
  /** Command of a custom server. @default - the image's */
  readonly command?: string[];
  /** Args of a custom server. @default - the image's */
  readonly args?: string[];
  /** Metrics of a custom server, or false when it has none. @default - prometheus-fastapi-instrumentator names on the serving port */
  readonly metrics?: ModelMetricsOptions | false;
  /** Server worker processes per pod (registry models). @default 1 */
  readonly workers?: number;
  /** Longest time a request may take (registry models). @default 60 */
  readonly requestTimeoutSeconds?: number;
  /** Longest time a pod may take to load the model before it is restarted. @default 600 */
  readonly startupTimeoutSeconds?: number;
  /** @default { cpu: '500m', memory: '1Gi' } */
  readonly resources?: ResourceOptions;
  /** Fewest stable pods (the fixed count without autoscaling). @default 2 */
  readonly minReplicas?: number;
  /** Most stable pods. @default 10 */
  readonly maxReplicas?: number;
  /** HPA settings, or false for a fixed `minReplicas`. @default - CPU 70 %, memory 80 % */
  readonly autoscaling?: ModelAutoscalingOptions | false;
  /** A candidate version beside the stable one. @default - none */
  readonly canary?: ModelCanaryOptions;
  /** Route through a Gateway API Gateway (exact canary weights). @default - none: one ClusterIP Service */
  readonly gateway?: ModelGatewayOptions;
  /** Expose through an Ingress with TLS. @default - not exposed */
  readonly ingress?: ModelIngressOptions;
  /**
   * Give the pods a place in the artifact store for request features and predictions
   * (`MLOPS_INFERENCE_LOG_URI`), read by drift monitoring.
   * @default false
   */
  readonly inferenceLogging?: boolean | { readonly prefix?: string };
  /** Objectives for alerts. @default { latencyP95Seconds: 0.5, errorRatio: 0.01 } */
  readonly slo?: { readonly latencyP95Seconds?: number; readonly errorRatio?: number };
  /** @default - none */
  readonly security?: SecurityOptions;
  /**
   * Make `apply` wait until the pods are ready.
   * @default - false for registry models (the model may be registered after the platform), true for images
   */
  readonly waitForRollout?: boolean;
  /** prometheus-adapter to use. @default - RequestRateMetrics.of(platform), when requestsPerSecond is set */
  readonly requestRateMetrics?: RequestRateMetrics;
}

/**
 * A model served as a REST API: a registry model run by MLflow's scoring server
 * (wrapped to expose request metrics) or a custom image, behind a ClusterIP
 * Service, with zero-downtime rolling updates, probes, topology spread, a
 * PodDisruptionBudget over both variants (in the namespace's
 * {@link DisruptionBudgets}) and an HPA; optionally a canary beside it (exact weights
 * through a Gateway API HTTPRoute, or a replica ratio behind the one Service),
 * exposure through an Ingress or the Gateway, and inference logging for drift.
 */
export class ModelDeployment extends Construct {
  /** Name of the model's objects and its `model` metric label. */
  public readonly modelName: string;
  /** In-cluster base URL (POST `<url>/invocations` for registry models). */
  public readonly serviceUrl: string;
  /** Labels selecting the model's pods (all variants). */
  public readonly podSelector: Record<string, string>;
  /** Labels a client pod needs so the network policies let it call the model. */
  public readonly clientPodLabels: Record<string, string>;
  /** Where the pods write inference logs (`MLOPS_INFERENCE_LOG_URI`), when enabled. */
  public readonly inferenceLogUri?: string;
  /** The canary's achieved share of requests in percent, when a canary runs. */
  public readonly canaryEffectiveWeight?: number;
  public readonly identity: WorkloadIdentity;
  public readonly stable: ModelVariant;
  public readonly canary?: ModelVariant;
  /**
   * Name of the model's PodDisruptionBudget (`<name>-pdb`): at most one pod of either variant down
   * at a time, pods that are not Ready always evictable. Rendered by `DisruptionBudgets.of(namespace)`.
   */
  public readonly disruptionBudgetName: string;
  /** The canary's automatic judge (`canary.judge`). */
  public readonly canaryJudge?: CanaryJudge;
  /** The Service clients call (in gateway mode: the stable variant only). */
  public readonly service: ServiceV1;
  /** The canary's Service in gateway mode. */
  public readonly canaryService?: ServiceV1;
  /** The HTTPRoute release in gateway mode. */
  public readonly route?: Release;
  public readonly ingress?: IngressV1;
  public readonly networkPolicies: NetworkPolicyV1[] = [];

  constructor(scope: Construct, id: string, props: ModelDeploymentProps) {
    super(scope, id);
    const p = parseProps(modelDeploymentSchema, props, this);
    const platform = p.platform as IMlopsPlatform;
    const server = resolveModelServer(p, this.node.path);
    const { name } = server;
    const canary = p.canary;
    this.modelName = name;
    claimKubernetesName(this, props.name !== undefined ? 'name' : 'model', 'Service', platform.namespace.name, name);
    for (const problem of podSecurityProblems(p.security, platform.namespace.podSecurity)) fail(this.node.path, problem.prop, problem.message);

    const workload = withDefaults(p, platform.workloadDefaults);
    applyObjectMetadata(this, workload);

    const ns = platform.namespace.name;
    const ident = { name, instance: platform.instanceName, component: 'model-server' };
    const labels = standardLabels(ident, { [MODEL_LABEL]: name });
    this.podSelector = { ...selectorLabels(ident), [MODEL_LABEL]: name };
    this.clientPodLabels = { [MODEL_CLIENT_LABEL]: name };

    this.identity = new WorkloadIdentity(this, 'Identity', { namespace: ns, name: `model-${name}`, kind: 'serving', labels, cloud: platform.cloudIdentity });
    let inferenceLogs: InferenceLogs | undefined;
    if (p.inferenceLogging !== false) {
      const prefix = (p.inferenceLogging === true ? undefined : p.inferenceLogging.prefix) ?? `inference-logs/${name}/`;
      const binding = platform.artifactStore.bind({ identity: this.identity, access: 'readwrite', prefix, grantId: `InferenceLogs${pascalCase(name)}` });
      this.inferenceLogUri = platform.artifactStore.uriOf(prefix);
      inferenceLogs = { binding, uri: this.inferenceLogUri };
    }
    const pods = new ModelPods({
      props: p, server, platform, labels, podSelector: this.podSelector, inferenceLogs, workload, at: this.node.path,
      serviceAccountName: this.identity.serviceAccountName,
      scripts: server.registry ? servingScriptsConfigMap(p.platform.namespace, ns) : undefined,
    });

    // After the store binding, so that errors keep their order: a bad log prefix is reported before an unreachable canary weight.
    const replicas = planReplicas(p, this.node.path);
    this.canaryEffectiveWeight = replicas.canaryEffectiveWeight;
    const autoscaling = variantAutoscaling(p, server, platform, replicas);
    const waitForRollout = p.waitForRollout ?? !server.registry;
    this.stable = new ModelVariant(this, 'Stable', {
      namespace: ns, name, labels: withVariant(labels, 'stable'),
      selector: withVariant(this.podSelector, 'stable'), podLabels: pods.labels('stable'), podSpec: pods.spec('stable', (p.model ?? p.image)!),
      replicas: replicas.stable.min, autoscaling: autoscaling.stable, waitForRollout,
    });
    if (canary) {
      this.canary = new ModelVariant(this, 'Canary', {
        namespace: ns, name: `${name}-canary`, labels: withVariant(labels, 'canary'),
        selector: withVariant(this.podSelector, 'canary'), podLabels: pods.labels('canary'), podSpec: pods.spec('canary', (canary.model ?? canary.image)!),
        // In gateway mode the weight lives in the route only, so nothing here depends on it.
        annotations: p.gateway ? undefined : { [CANARY_EFFECTIVE_WEIGHT_ANNOTATION]: String(this.canaryEffectiveWeight) },
        replicas: replicas.canary.min, autoscaling: autoscaling.canary,
        // A judged canary runs only while there is a challenger, so apply cannot wait for it.
        waitForRollout: waitForRollout && !canary.judge, scaledByJudge: canary.judge !== undefined,
      });
      new TerraformOutput(this, 'CanaryEffectiveWeight', {
        value: this.canaryEffectiveWeight,
        description: `Share of requests (percent) the canary of model ${name} receives; requested ${canary.weight}.`,
      });
    }

    // One budget over both variants: the Service (without a gateway) and the fleet's capacity are the
    // model's, so a drain takes one of its pods at a time, whichever variant it runs.
    this.disruptionBudgetName = DisruptionBudgets.of(platform.namespace).add(this, { name, labels, selector: this.podSelector });

    const exposure = exposeModel(this, { name, namespace: ns, labels, podSelector: this.podSelector, canary, gateway: p.gateway, ingress: p.ingress });
    this.service = exposure.service;
    this.canaryService = exposure.canaryService;
    this.route = exposure.route;
    this.ingress = exposure.ingress;
    this.serviceUrl = exposure.serviceUrl;
    this.networkPolicies.push(...allowModelTraffic(this, {
      platform, server, podSelector: this.podSelector, clientPodLabels: this.clientPodLabels,
      gateway: p.gateway, ingress: p.ingress, writesInferenceLogs: inferenceLogs !== undefined,
    }));

    const metrics = server.metrics;
    if (canary?.judge && metrics && this.canary) {
      const aliases = judgedAliases(p, this.node.path);
      this.canaryJudge = new CanaryJudge(this, 'CanaryJudge', {
        platform, options: canary.judge, modelName: name, registeredModel: aliases.registeredModel,
        championAlias: aliases.champion, challengerAlias: aliases.challenger,
        canaryDeployment: `${name}-canary`, canaryReplicas: replicas.canary.min,
        slo: { latencyP95Seconds: p.slo.latencyP95Seconds, errorRatio: p.slo.errorRatio },
        metrics: { requestDuration: metrics.requestDuration, requestsTotal: metrics.requestsTotal, statusLabel: metrics.statusLabel },
        image: p.mlflowImage, labels,
        workloadDefaults: { ...platform.workloadDefaults, imagePullSecrets: workload.imagePullSecrets }, at: this.node.path,
      });
    }
    if (metrics) {
      platform.monitoring?.watch({
        kind: 'model',
        model: name,
        namespace: platform.namespace.literalName,
        scrape: { namespace: platform.namespace.literalName, podLabels: this.podSelector, portName: server.metricsPortName, path: metrics.path },
        deployments: { stable: name, ...(canary ? { canary: `${name}-canary` } : {}) },
        canaryJudge: this.canaryJudge ? { cronJobName: this.canaryJudge.cronJobName, periodSeconds: this.canaryJudge.periodSeconds } : undefined,
        autoscalerName: server.autoscaling ? name : undefined,
        minReplicas: p.minReplicas,
        maxReplicas: server.autoscaling ? p.maxReplicas : p.minReplicas,
        latencyP95Seconds: p.slo.latencyP95Seconds,
        errorRatio: p.slo.errorRatio,
        metrics: { requestDuration: metrics.requestDuration, requestsTotal: metrics.requestsTotal, statusLabel: metrics.statusLabel },
      });
    }
  }
}
