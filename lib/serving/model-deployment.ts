import { Construct } from 'constructs';
import { z } from 'zod';
import { ServiceV1 } from '@cdktf/provider-kubernetes/lib/service-v1';
import { ConfigMapV1 } from '@cdktf/provider-kubernetes/lib/config-map-v1';
import { IngressV1 } from '@cdktf/provider-kubernetes/lib/ingress-v1';
import type { NetworkPolicyV1 } from '@cdktf/provider-kubernetes/lib/network-policy-v1';
import type { HorizontalPodAutoscalerV2SpecMetric } from '@cdktf/provider-kubernetes/lib/horizontal-pod-autoscaler-v2';
import { Release } from '@cdktf/provider-helm/lib/release';
import { TerraformOutput } from '../core/cdktf';
import { parseProps } from '../core/props';
import { fail } from '../core/errors';
import { imageRef, k8sName, k8sNamePrefix, positiveInt } from '../core/validators';
import { selectorLabels, standardLabels } from '../core/labels';
import { localChart, readScript } from '../core/assets';
import { DEFAULT_IMAGES } from '../core/images';
import { MODEL_LABEL, VARIANT_LABEL } from '../core/observability';
import type { NetworkPeer } from '../core/network';
import { buildPodSpec, resourcesSchema, securityOptionsSchema, type ContainerOptions, type EnvVar, type ResourceOptions, type SecurityOptions } from '../core/workload';
import { WorkloadIdentity } from '../cluster/workload-identity';
import { allowEgressTargets } from '../cluster/mlops-namespace';
import type { ArtifactBinding } from '../stores/artifact-store';
import type { IMlopsPlatform } from '../platform/platform-context';
import { canaryReplicaSplit } from './canary-split';
import { ModelVariant, type VariantAutoscaling } from './model-variant';
import { RequestRateMetrics } from './request-rate-metrics';

/** Pod label that lets a pod call a model (value: the model's name). */
export const MODEL_CLIENT_LABEL = 'mlops.cdktf.io/model-client';
/** Annotation with the canary's achieved share of traffic, in percent. */
export const CANARY_EFFECTIVE_WEIGHT_ANNOTATION = 'mlops.cdktf.io/canary-effective-weight';

/** Request metrics a custom server exposes (defaults: prometheus-fastapi-instrumentator). */
export interface ModelMetricsOptions {
  /** Container port (number) serving metrics. @default - the serving port */
  readonly port?: number;
  /** @default '/metrics' */
  readonly path?: string;
  /** Latency histogram (without `_bucket`). @default 'http_request_duration_seconds' */
  readonly requestDuration?: string;
  /** Request counter. @default 'http_requests_total' */
  readonly requestsTotal?: string;
  /** Label of the counter holding the HTTP status. @default 'status' */
  readonly statusLabel?: string;
}

/** Horizontal pod autoscaling (HPA v2). */
export interface ModelAutoscalingOptions {
  /** Target average CPU utilisation, % of the request. @default 70 */
  readonly cpuUtilization?: number;
  /** Target average memory utilisation, % of the request. @default 80 */
  readonly memoryUtilization?: number;
  /**
   * Target requests per second per pod, from Prometheus through prometheus-adapter
   * ({@link RequestRateMetrics}, installed once per platform when a model asks for it).
   * @default - no request-rate metric
   */
  readonly requestsPerSecond?: number;
  /** @default 0 (react at once) */
  readonly scaleUpStabilizationSeconds?: number;
  /** Most pods added per minute (the larger of this and the percentage wins). @default 4 */
  readonly scaleUpPodsPerMinute?: number;
  /** @default 100 */
  readonly scaleUpPercentPerMinute?: number;
  /** @default 300 */
  readonly scaleDownStabilizationSeconds?: number;
  /** @default 25 */
  readonly scaleDownPercentPerMinute?: number;
}

/** A candidate served beside the stable version. */
export interface ModelCanaryOptions {
  /** Registry model of the candidate (when the stable one is a registry model). */
  readonly model?: string;
  /** Image of the candidate (when the stable one is a custom image). */
  readonly image?: string;
  /** Share of requests for the candidate, in percent (0-100). */
  readonly weight: number;
  /**
   * Without a gateway: largest allowed distance, in percentage points, between the
   * weight and the share the replica ratio achieves.
   * @default 5
   */
  readonly tolerance?: number;
  /**
   * Without a gateway: most canary pods the replica ratio may use.
   * @default - maxReplicas
   */
  readonly maxReplicas?: number;
}

/** A Gateway API Gateway that routes to the model (exact canary weights, optional exposure). */
export interface ModelGatewayOptions {
  readonly name: string;
  readonly namespace: string;
  /** Listener of the Gateway. @default - all listeners that admit the route */
  readonly sectionName?: string;
  /** Host names of the route; TLS is configured on the Gateway's listener. @default - the listener's */
  readonly hostnames?: string[];
  /** Namespace of the gateway's proxy pods, admitted by the network policy. @default - the Gateway's namespace */
  readonly proxyNamespace?: string;
}

/** Exposure through an Ingress with TLS. */
export interface ModelIngressOptions {
  readonly host: string;
  /** @default 'nginx' */
  readonly className?: string;
  /** cert-manager ClusterIssuer. @default - none: the TLS Secret must exist */
  readonly clusterIssuer?: string;
  /** @default '<name>-tls' */
  readonly tlsSecretName?: string;
  /** @default 'ingress-nginx' */
  readonly controllerNamespace?: string;
}

/** Properties of a {@link ModelDeployment}. */
export interface ModelDeploymentProps {
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
  /** Extra environment variables. @default - none */
  readonly env?: Record<string, string>;
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

const REGISTRY_URI = /^models:\/([^/@]+)(?:@([A-Za-z0-9_-]+)|\/([1-9]\d*))$/;
const registryUri = z.string().regex(REGISTRY_URI, { message: 'must be a registry URI such as "models:/churn@champion" or "models:/churn/3"' });
const percent = z.number().gt(0, { message: 'must be greater than 0' }).max(100, { message: 'must be at most 100' });
const seconds = z.number().int({ message: 'must be a whole number' }).min(0, { message: 'must be 0 or more' });
const metricName = z.string().regex(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/, { message: 'must be a Prometheus metric name' });
const port = z.number().int().min(1024, { message: 'must be 1024 or more (pods run as non-root)' }).max(65535);
const host = z.string().regex(/^(?=.{1,253}$)([a-z0-9]([-a-z0-9]*[a-z0-9])?)(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+$/, { message: 'must be a fully qualified lowercase DNS name such as "churn.example.com"' });

const schema = z.strictObject({
  platform: z.custom<IMlopsPlatform>((v) => typeof v === 'object' && v !== null && 'trackingUri' in v && 'namespace' in v, { message: 'must be an IMlopsPlatform (e.g. an MlopsPlatform)' }),
  name: k8sNamePrefix.optional(),
  model: registryUri.optional(),
  image: imageRef.optional(),
  mlflowImage: imageRef.default(DEFAULT_IMAGES.mlflow),
  port: port.optional(),
  healthPath: z.string().regex(/^\//, { message: 'must start with "/"' }).optional(),
  command: z.array(z.string()).optional(),
  args: z.array(z.string()).optional(),
  env: z.record(z.string().regex(/^[-._a-zA-Z][-._a-zA-Z0-9]*$/, { message: 'must be an environment variable name' }), z.string()).default({}),
  metrics: z.union([
    z.literal(false),
    z.strictObject({
      port: port.optional(),
      path: z.string().regex(/^\//, { message: 'must start with "/"' }).default('/metrics'),
      requestDuration: metricName.default('http_request_duration_seconds'),
      requestsTotal: metricName.default('http_requests_total'),
      statusLabel: metricName.default('status'),
    }),
  ]).optional(),
  workers: positiveInt.max(32, { message: 'must be at most 32' }).default(1),
  requestTimeoutSeconds: positiveInt.default(60),
  startupTimeoutSeconds: positiveInt.default(600),
  resources: resourcesSchema.default({ cpu: '500m', memory: '1Gi' }),
  minReplicas: positiveInt.default(2),
  maxReplicas: positiveInt.max(1000).default(10),
  autoscaling: z.union([
    z.literal(false),
    z.strictObject({
      cpuUtilization: percent.default(70),
      memoryUtilization: percent.default(80),
      requestsPerSecond: z.number().gt(0, { message: 'must be greater than 0' }).optional(),
      scaleUpStabilizationSeconds: seconds.max(3600).default(0),
      scaleUpPodsPerMinute: positiveInt.default(4),
      scaleUpPercentPerMinute: positiveInt.default(100),
      scaleDownStabilizationSeconds: seconds.max(3600).default(300),
      scaleDownPercentPerMinute: positiveInt.max(100).default(25),
    }),
  ]).prefault({}),
  canary: z.strictObject({
    model: registryUri.optional(),
    image: imageRef.optional(),
    weight: z.number().min(0, { message: 'must be between 0 and 100 (percent of requests)' }).max(100, { message: 'must be between 0 and 100 (percent of requests)' }),
    tolerance: z.number().min(0).max(50).default(5),
    maxReplicas: positiveInt.optional(),
  }).optional(),
  gateway: z.strictObject({
    name: k8sName,
    namespace: k8sName,
    sectionName: z.string().min(1).optional(),
    hostnames: z.array(host).optional(),
    proxyNamespace: k8sName.optional(),
  }).optional(),
  ingress: z.strictObject({
    host,
    className: z.string().min(1).default('nginx'),
    clusterIssuer: z.string().min(1).optional(),
    tlsSecretName: k8sName.optional(),
    controllerNamespace: k8sName.default('ingress-nginx'),
  }).optional(),
  inferenceLogging: z.union([z.boolean(), z.strictObject({ prefix: z.string().min(1).optional() })]).default(false),
  slo: z.strictObject({
    latencyP95Seconds: z.number().gt(0).default(0.5),
    errorRatio: z.number().gt(0).lt(1, { message: 'must be a share below 1, e.g. 0.01 for 1%' }).default(0.01),
  }).prefault({}),
  security: securityOptionsSchema.optional(),
  waitForRollout: z.boolean().optional(),
  requestRateMetrics: z.custom<RequestRateMetrics>((v) => v instanceof RequestRateMetrics, { message: 'must be a RequestRateMetrics' }).optional(),
});

const REGISTRY_PORT = 8080;
const SERVICE_PORT = 80;
const SCRIPT_DIR = '/opt/mlops';
type Variant = 'stable' | 'canary';

/**
 * A model served as a REST API: a registry model run by MLflow's scoring server
 * (wrapped to expose request metrics) or a custom image, behind a ClusterIP
 * Service, with zero-downtime rolling updates, probes, topology spread, a
 * PodDisruptionBudget and an HPA; optionally a canary beside it (exact weights
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
    const p = parseProps(schema, props, this);
    const at = this.node.path;
    const platform = p.platform as IMlopsPlatform;
    const registry = p.model !== undefined;
    if (registry === (p.image !== undefined)) fail(at, 'model', p.image ? 'got both model and image; give one: model for a registry model, image for a custom server' : 'got neither model nor image; give model (e.g. "models:/churn@champion") or image');
    if (registry) {
      for (const k of ['port', 'healthPath', 'command', 'args', 'metrics'] as const) {
        if (p[k] !== undefined) fail(at, k, `got ${JSON.stringify(p[k])}; only for a custom image (registry models run MLflow's scoring server on ${REGISTRY_PORT} with /health and /metrics)`);
      }
    }
    if (p.minReplicas > p.maxReplicas) fail(at, 'minReplicas', `got ${p.minReplicas}; must be at most maxReplicas (${p.maxReplicas})`);
    if (p.ingress && p.gateway) fail(at, 'ingress', 'got both ingress and gateway; expose through one (the gateway route takes gateway.hostnames)');
    const name = p.name ?? defaultName(p.model);
    if (!name) fail(at, 'name', `is required${p.image ? ' with image' : `: the model name in ${p.model} is not a valid Kubernetes name; give a name such as "churn"`}`);
    this.modelName = name;

    const canary = p.canary;
    if (canary) {
      if (registry ? canary.image !== undefined || canary.model === undefined : canary.model !== undefined || canary.image === undefined) {
        fail(at, registry ? 'canary.model' : 'canary.image', `the canary must be the same kind as the stable version: give canary.${registry ? 'model (a registry URI)' : 'image'}`);
      }
      if ((registry && canary.model === p.model) || (!registry && canary.image === p.image)) {
        fail(at, registry ? 'canary.model' : 'canary.image', `got ${JSON.stringify(canary.model ?? canary.image)}, identical to the stable version; a canary must differ (promote by changing ${registry ? 'model' : 'image'} and removing canary)`);
      }
      if (p.gateway && !Number.isInteger(canary.weight)) fail(at, 'canary.weight', `got ${canary.weight}; must be a whole number with a gateway (HTTPRoute weights are integers)`);
    }
    const metrics = registry
      ? { port: REGISTRY_PORT, path: '/metrics', requestDuration: 'http_request_duration_seconds', requestsTotal: 'http_requests_total', statusLabel: 'status' }
      : p.metrics === false ? undefined : { ...metricsDefaults(), ...p.metrics, port: p.metrics?.port ?? p.port ?? REGISTRY_PORT };
    const autoscaling = p.autoscaling === false ? undefined : p.autoscaling;
    if (autoscaling?.requestsPerSecond !== undefined && !metrics) fail(at, 'autoscaling.requestsPerSecond', 'needs request metrics; the server has none (metrics: false)');

    const ns = platform.namespace.name;
    const ident = { name, instance: platform.instanceName, component: 'model-server' };
    const labels = standardLabels(ident, { [MODEL_LABEL]: name });
    this.podSelector = { ...selectorLabels(ident), [MODEL_LABEL]: name };
    this.clientPodLabels = { [MODEL_CLIENT_LABEL]: name };
    const variantSelector = (v: Variant) => ({ ...this.podSelector, [VARIANT_LABEL]: v });

    this.identity = new WorkloadIdentity(this, 'Identity', { namespace: ns, name: `model-${name}`, kind: 'serving', labels, cloud: platform.cloudIdentity });

    let logs: ArtifactBinding | undefined;
    if (p.inferenceLogging !== false) {
      const prefix = (p.inferenceLogging === true ? undefined : p.inferenceLogging.prefix) ?? `inference-logs/${name}/`;
      logs = platform.artifactStore.bind({ identity: this.identity, access: 'readwrite', prefix, grantId: 'InferenceLogs' });
      this.inferenceLogUri = platform.artifactStore.uriOf(prefix);
    }

    const scripts = registry
      ? new ConfigMapV1(this, 'Scripts', {
          metadata: { name: `${name}-model-scripts`, namespace: ns, labels },
          data: { 'serve_model.py': readScript('serving', 'serve_model.py') },
        })
      : undefined;
    const servingPort = registry ? REGISTRY_PORT : (p.port ?? REGISTRY_PORT);
    const healthPath = registry ? '/health' : (p.healthPath ?? '/health');
    const metricsPortName = metrics && metrics.port !== servingPort ? 'metrics' : 'http';

    const containerOf = (variant: Variant, source: string): ContainerOptions => {
      const env: EnvVar[] = [
        { name: 'HOME', value: '/tmp' },
        { name: 'MLOPS_MODEL_NAME', value: name },
        { name: 'MLOPS_MODEL_VARIANT', value: variant },
        ...platform.trackingClientEnv(),
        ...(logs ? [...logs.env, { name: 'MLOPS_INFERENCE_LOG_URI', value: this.inferenceLogUri! }] : []),
        ...Object.entries(p.env).map(([k, value]) => ({ name: k, value })),
      ];
      const probes = {
        startupProbe: { httpGet: { path: healthPath, port: 'http' }, timing: { periodSeconds: 5, failureThreshold: Math.ceil(p.startupTimeoutSeconds / 5) } },
        readinessProbe: { httpGet: { path: healthPath, port: 'http' }, timing: { periodSeconds: 5, failureThreshold: 3 } },
        livenessProbe: { httpGet: { path: healthPath, port: 'http' }, timing: { periodSeconds: 15, timeoutSeconds: 5, failureThreshold: 4 } },
      };
      const common = { name: 'model', resources: p.resources, writablePaths: ['/tmp'], ...probes };
      if (registry) {
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
          volumeMounts: [{ name: 'scripts', mountPath: SCRIPT_DIR, readOnly: true }, ...(logs?.volumeMounts ?? [])],
        };
      }
      return {
        ...common,
        image: source,
        command: p.command,
        args: p.args,
        env,
        ports: [{ name: 'http', containerPort: servingPort }, ...(metricsPortName === 'metrics' ? [{ name: 'metrics', containerPort: metrics!.port }] : [])],
        volumeMounts: logs?.volumeMounts.length ? logs.volumeMounts : undefined,
      };
    };
    const podLabelsOf = (v: Variant) => ({ ...labels, [VARIANT_LABEL]: v, ...platform.trackingClientLabels(), ...(logs?.podLabels ?? {}) });
    const podSpecOf = (v: Variant, source: string) =>
      buildPodSpec({
        serviceAccountName: this.identity.serviceAccountName,
        security: p.security,
        containers: [containerOf(v, source)],
        volumes: [
          ...(scripts ? [{ name: 'scripts', configMap: { name: scripts.metadata.name, defaultMode: '0444' } }] : []),
          ...(logs?.volumes ?? []),
        ],
        affinity: logs?.affinity,
        terminationGracePeriodSeconds: 30,
        topologySpread: ['kubernetes.io/hostname', 'topology.kubernetes.io/zone'].map((topologyKey) => ({
          maxSkew: 1,
          topologyKey,
          whenUnsatisfiable: 'ScheduleAnyway',
          labelSelector: [{ matchLabels: variantSelector(v) }],
        })),
      });

    // Replica counts. Replica mode: pods of both variants share the Service, so the
    // canary's share is C / (S + C); with autoscaling both HPAs keep that ratio at
    // their minimum and scale their maximum in proportion (each sees the same load
    // per pod, so they grow together).
    let stableRange = { min: p.minReplicas, max: p.maxReplicas };
    let canaryRange = { min: 1, max: p.maxReplicas };
    if (canary && !p.gateway) {
      const maxCanary = canary.maxReplicas ?? p.maxReplicas;
      const split = canaryReplicaSplit({ weight: canary.weight, minStable: p.minReplicas, maxStable: p.maxReplicas, maxCanary });
      if (split.error > canary.tolerance + 1e-9) {
        fail(at, 'canary.weight',
          `got ${canary.weight}; without a gateway the split follows the replica ratio, and within minReplicas ${p.minReplicas}, maxReplicas ${p.maxReplicas} and at most ${maxCanary} canary pods ` +
          `the closest achievable weight is ${split.effectiveWeight} (${split.stableReplicas} stable, ${split.canaryReplicas} canary), ` +
          `${round1(split.error)} points away, more than canary.tolerance (${canary.tolerance}). Use a weight near ${split.effectiveWeight}, raise maxReplicas or canary.maxReplicas, or give a gateway for exact weights`);
      }
      this.canaryEffectiveWeight = split.effectiveWeight;
      stableRange = { min: split.stableReplicas, max: Math.max(split.stableReplicas, p.maxReplicas) };
      canaryRange = { min: split.canaryReplicas, max: Math.max(split.canaryReplicas, Math.ceil((p.maxReplicas * split.canaryReplicas) / split.stableReplicas)) };
    } else if (canary) {
      this.canaryEffectiveWeight = canary.weight;
    }

    let hpaMetrics: HorizontalPodAutoscalerV2SpecMetric[] = [];
    if (autoscaling) {
      hpaMetrics = [
        { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: autoscaling.cpuUtilization } } },
        { type: 'Resource', resource: { name: 'memory', target: { type: 'Utilization', averageUtilization: autoscaling.memoryUtilization } } },
      ];
      if (autoscaling.requestsPerSecond !== undefined) {
        const adapter = (p.requestRateMetrics as RequestRateMetrics | undefined) ?? RequestRateMetrics.of(platform);
        hpaMetrics.push({
          type: 'Pods',
          pods: { metric: { name: adapter.metricFor(metrics!.requestsTotal) }, target: { type: 'AverageValue', averageValue: String(autoscaling.requestsPerSecond) } },
        });
      }
    }
    const hpaOf = (range: { min: number; max: number }): VariantAutoscaling | undefined =>
      autoscaling && { ...autoscaling, minReplicas: range.min, maxReplicas: range.max, metrics: hpaMetrics };
    const waitForRollout = p.waitForRollout ?? !registry;

    this.stable = new ModelVariant(this, 'Stable', {
      namespace: ns, name, labels: { ...labels, [VARIANT_LABEL]: 'stable' },
      selector: variantSelector('stable'), podLabels: podLabelsOf('stable'), podSpec: podSpecOf('stable', (p.model ?? p.image)!),
      replicas: stableRange.min, autoscaling: hpaOf(stableRange), waitForRollout,
    });
    if (canary) {
      this.canary = new ModelVariant(this, 'Canary', {
        namespace: ns, name: `${name}-canary`, labels: { ...labels, [VARIANT_LABEL]: 'canary' },
        selector: variantSelector('canary'), podLabels: podLabelsOf('canary'), podSpec: podSpecOf('canary', (canary.model ?? canary.image)!),
        // In gateway mode the weight lives in the route only, so nothing here depends on it.
        annotations: p.gateway ? undefined : { [CANARY_EFFECTIVE_WEIGHT_ANNOTATION]: String(this.canaryEffectiveWeight) },
        replicas: canaryRange.min, autoscaling: hpaOf(canaryRange), waitForRollout,
      });
      new TerraformOutput(this, 'CanaryEffectiveWeight', {
        value: this.canaryEffectiveWeight,
        description: `Share of requests (percent) the canary of model ${name} receives; requested ${canary.weight}.`,
      });
    }

    // Replica mode: one Service over both variants. Gateway mode: one Service per variant, split by the route.
    const serviceOf = (sid: string, sname: string, selector: Record<string, string>) =>
      new ServiceV1(this, sid, {
        metadata: { name: sname, namespace: ns, labels },
        spec: { type: 'ClusterIP', selector, port: [{ name: 'http', port: SERVICE_PORT, targetPort: 'http' }] },
      });
    this.service = serviceOf('Service', name, p.gateway ? variantSelector('stable') : this.podSelector);
    if (canary && p.gateway) this.canaryService = serviceOf('CanaryService', `${name}-canary`, variantSelector('canary'));
    this.serviceUrl = `http://${name}.${ns}.svc.cluster.local`;

    if (p.gateway) {
      const w = canary?.weight ?? 0;
      this.route = new Release(this, 'Route', {
        name: `${name}-route`,
        chart: localChart(this, 'RouteChart', 'serving', 'model-route'),
        namespace: ns,
        atomic: true,
        cleanupOnFail: true,
        values: [
          JSON.stringify({
            name,
            labels,
            annotations: canary ? { [CANARY_EFFECTIVE_WEIGHT_ANNOTATION]: String(w) } : {},
            gateway: { name: p.gateway.name, namespace: p.gateway.namespace, sectionName: p.gateway.sectionName ?? '' },
            hostnames: p.gateway.hostnames ?? [],
            pathPrefix: '/',
            backends: [
              { service: name, port: SERVICE_PORT, weight: 100 - w },
              ...(canary ? [{ service: `${name}-canary`, port: SERVICE_PORT, weight: w }] : []),
            ],
          }),
        ],
        dependsOn: [this.service, ...(this.canaryService ? [this.canaryService] : [])],
      });
    }
    if (p.ingress) {
      this.ingress = new IngressV1(this, 'Ingress', {
        metadata: {
          name, namespace: ns, labels,
          annotations: {
            ...(p.ingress.clusterIssuer ? { 'cert-manager.io/cluster-issuer': p.ingress.clusterIssuer } : {}),
            'nginx.ingress.kubernetes.io/ssl-redirect': 'true',
          },
        },
        spec: {
          ingressClassName: p.ingress.className,
          tls: [{ hosts: [p.ingress.host], secretName: p.ingress.tlsSecretName ?? `${name}-tls` }],
          rule: [{ host: p.ingress.host, http: { path: [{ path: '/', pathType: 'Prefix', backend: { service: { name: this.service.metadata.name, port: { number: SERVICE_PORT } } } }] } }],
        },
      });
    }

    // Network: clients with the client label, Prometheus and the ingress/gateway proxies may call
    // the pods; the pods reach the tracking server (label), the store (logs) and cloud credentials.
    const from: NetworkPeer[] = [{ podLabels: this.clientPodLabels }];
    if (platform.monitoring) from.push({ namespace: platform.monitoring.prometheusNamespace });
    if (p.ingress) from.push({ namespace: p.ingress.controllerNamespace });
    if (p.gateway) from.push({ namespace: p.gateway.proxyNamespace ?? p.gateway.namespace });
    const ports = [{ port: servingPort }, ...(metrics && metrics.port !== servingPort ? [{ port: metrics.port }] : [])];
    this.networkPolicies.push(
      platform.namespace.allowIngress(this, 'AllowIngress', { name: `${name}-model-ingress`, podLabels: this.podSelector, from, ports }),
      platform.namespace.allowEgress(this, 'AllowClients', { name: `${name}-model-clients-egress`, podLabels: this.clientPodLabels, to: [{ podLabels: this.podSelector }], ports: [{ port: servingPort }] }),
    );
    const egress = [...(logs ? platform.artifactStore.egress : []), ...(platform.cloudIdentity?.credentialEgress ?? [])];
    this.networkPolicies.push(...allowEgressTargets(platform.namespace, this, `${name}-model`, this.podSelector, egress));

    if (metrics) {
      platform.monitoring?.watch({
        kind: 'model',
        model: name,
        namespace: ns,
        scrape: { namespace: ns, podLabels: this.podSelector, portName: metricsPortName, path: metrics.path },
        deployments: { stable: name, ...(canary ? { canary: `${name}-canary` } : {}) },
        autoscalerName: autoscaling ? name : undefined,
        minReplicas: p.minReplicas,
        maxReplicas: autoscaling ? p.maxReplicas : p.minReplicas,
        latencyP95Seconds: p.slo.latencyP95Seconds,
        errorRatio: p.slo.errorRatio,
        metrics: { requestDuration: metrics.requestDuration, requestsTotal: metrics.requestsTotal, statusLabel: metrics.statusLabel },
      });
    }
  }
}

function metricsDefaults() {
  return { path: '/metrics', requestDuration: 'http_request_duration_seconds', requestsTotal: 'http_requests_total', statusLabel: 'status' };
}

function defaultName(model: string | undefined): string | undefined {
  const registered = model ? REGISTRY_URI.exec(model)?.[1] : undefined;
  if (!registered) return undefined;
  const candidate = registered.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '');
  return k8sNamePrefix.safeParse(candidate).success ? candidate : undefined;
}

function round1(n: number): number {
  return Math.round(n * 10) / 10;
}
