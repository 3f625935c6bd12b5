import { z } from 'zod';
import { fail } from '../core/errors';
import { DEFAULT_IMAGES } from '../core/images';
import { dnsSubdomainName, gatewayHostname, imageRef, ingressClassName, k8sName, k8sNamePrefix, noDotDot, positiveInt } from '../core/validators';
import { resourcesSchema, securityOptionsSchema } from '../core/workload';
import { workloadOptionsShape } from '../core/workload-options';
import type { IMlopsPlatform } from '../core/platform-context';
import { RequestRateMetrics } from './request-rate-metrics';
import { canaryJudgeSchema, type CanaryJudgeOptions } from './canary-judge-props';

/*
 * The option types of a ModelDeployment, the zod schema its props are parsed
 * with, and the checks across props that the schema cannot express.
 */

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
  /**
   * Judge the canary automatically and promote or roll it back (registry models whose canary
   * serves an alias, e.g. `models:/churn@challenger`): see {@link CanaryJudgeOptions}.
   * @default - no judge: promote by hand
   */
  readonly judge?: CanaryJudgeOptions;
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

/** Port of MLflow's scoring server (behind the metrics wrapper); also the default port of a custom server. */
export const REGISTRY_PORT = 8080;

/** prometheus-fastapi-instrumentator's names; the registry wrapper exposes the same ones. */
const DEFAULT_METRICS = {
  path: '/metrics',
  requestDuration: 'http_request_duration_seconds',
  requestsTotal: 'http_requests_total',
  statusLabel: 'status',
} as const;

const REGISTRY_URI = /^models:\/([^/@]+)(?:@([A-Za-z0-9_-]+)|\/([1-9]\d*))$/;
const registryUri = z.string().regex(REGISTRY_URI, { message: 'must be a registry URI such as "models:/churn@champion" or "models:/churn/3"' });
const percent = z.number().gt(0, { message: 'must be greater than 0' }).max(100, { message: 'must be at most 100' });
const seconds = z.number().int({ message: 'must be a whole number' }).min(0, { message: 'must be 0 or more' });
const metricName = z.string().regex(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/, { message: 'must be a Prometheus metric name' });
const port = z.number().int().min(1024, { message: 'must be 1024 or more (pods run as non-root)' }).max(65535);
const host = z.string().regex(/^(?=.{1,253}$)([a-z0-9]([-a-z0-9]*[a-z0-9])?)(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+$/, { message: 'must be a fully qualified lowercase DNS name such as "churn.example.com"' });
const urlPath = z.string().regex(/^\//, { message: 'must start with "/"' });

/** @internal */
export const modelDeploymentSchema = z.strictObject({
  platform: z.custom<IMlopsPlatform>((v) => typeof v === 'object' && v !== null && 'trackingUri' in v && 'namespace' in v, { message: 'must be an IMlopsPlatform (e.g. an MlopsPlatform)' }),
  name: k8sNamePrefix.optional(),
  model: registryUri.optional(),
  image: imageRef.optional(),
  mlflowImage: imageRef.default(DEFAULT_IMAGES.mlflow),
  port: port.optional(),
  healthPath: urlPath.optional(),
  command: z.array(z.string()).optional(),
  args: z.array(z.string()).optional(),
  metrics: z.union([
    z.literal(false),
    z.strictObject({
      port: port.optional(),
      path: urlPath.default(DEFAULT_METRICS.path),
      requestDuration: metricName.default(DEFAULT_METRICS.requestDuration),
      requestsTotal: metricName.default(DEFAULT_METRICS.requestsTotal),
      statusLabel: metricName.default(DEFAULT_METRICS.statusLabel),
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
    judge: canaryJudgeSchema.optional(),
  }).optional(),
  gateway: z.strictObject({
    name: k8sName,
    namespace: k8sName,
    sectionName: z.string().min(1).optional(),
    hostnames: z.array(gatewayHostname).optional(),
    proxyNamespace: k8sName.optional(),
  }).optional(),
  ingress: z.strictObject({
    host,
    className: ingressClassName.default('nginx'),
    clusterIssuer: dnsSubdomainName.optional(),
    tlsSecretName: k8sName.optional(),
    controllerNamespace: k8sName.default('ingress-nginx'),
  }).optional(),
  inferenceLogging: z.union([z.boolean(), z.strictObject({ prefix: z.string().refine((v) => v.length > 0 && !v.startsWith('/') && noDotDot(v), { message: 'must be a prefix inside the artifact store without a leading "/" or "..", e.g. "inference-logs/"' }).optional() })]).default(false),
  slo: z.strictObject({
    latencyP95Seconds: z.number().gt(0).default(0.5),
    errorRatio: z.number().gt(0).lt(1, { message: 'must be a share below 1, e.g. 0.01 for 1%' }).default(0.01),
  }).prefault({}),
  security: securityOptionsSchema.optional(),
  waitForRollout: z.boolean().optional(),
  requestRateMetrics: z.custom<RequestRateMetrics>((v) => v instanceof RequestRateMetrics, { message: 'must be a RequestRateMetrics' }).optional(),
  ...workloadOptionsShape,
});

/** @internal */
export type ParsedModelProps = z.output<typeof modelDeploymentSchema>;
/** @internal */
type ParsedAutoscaling = Exclude<ParsedModelProps['autoscaling'], false>;

/** The request metrics the pods expose, with every default applied. */
export interface ModelMetrics {
  readonly port: number;
  readonly path: string;
  readonly requestDuration: string;
  readonly requestsTotal: string;
  readonly statusLabel: string;
}

/** What the props say about the server, once checked against each other and defaulted. @internal */
export interface ModelServer {
  /** A registry model served by MLflow's scoring server (else a custom image). */
  readonly registry: boolean;
  readonly name: string;
  readonly servingPort: number;
  readonly healthPath: string;
  /** Undefined when a custom server has none (`metrics: false`). */
  readonly metrics?: ModelMetrics;
  /** Container port name that Prometheus scrapes. */
  readonly metricsPortName: 'http' | 'metrics';
  /** Undefined for a fixed replica count (`autoscaling: false`). */
  readonly autoscaling?: ParsedAutoscaling;
}

/** Checks what the schema cannot (combinations of props) and resolves the server's defaults. @internal */
export function resolveModelServer(p: ParsedModelProps, at: string): ModelServer {
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
  checkCanary(p, at, registry);

  const servingPort = registry ? REGISTRY_PORT : (p.port ?? REGISTRY_PORT);
  const metrics: ModelMetrics | undefined = registry
    ? { ...DEFAULT_METRICS, port: REGISTRY_PORT }
    : p.metrics === false ? undefined : { ...DEFAULT_METRICS, ...p.metrics, port: p.metrics?.port ?? p.port ?? REGISTRY_PORT };
  const autoscaling = p.autoscaling === false ? undefined : p.autoscaling;
  if (autoscaling?.requestsPerSecond !== undefined && !metrics) fail(at, 'autoscaling.requestsPerSecond', 'needs request metrics; the server has none (metrics: false)');
  return {
    registry,
    name,
    servingPort,
    healthPath: registry ? '/health' : (p.healthPath ?? '/health'),
    metrics,
    metricsPortName: metrics && metrics.port !== servingPort ? 'metrics' : 'http',
    autoscaling,
  };
}

/** A canary is the same kind of server as the stable version, and a different one. */
function checkCanary(p: ParsedModelProps, at: string, registry: boolean): void {
  const canary = p.canary;
  if (!canary) return;
  if (registry ? canary.image !== undefined || canary.model === undefined : canary.model !== undefined || canary.image === undefined) {
    fail(at, registry ? 'canary.model' : 'canary.image', `the canary must be the same kind as the stable version: give canary.${registry ? 'model (a registry URI)' : 'image'}`);
  }
  if ((registry && canary.model === p.model) || (!registry && canary.image === p.image)) {
    fail(at, registry ? 'canary.model' : 'canary.image', `got ${JSON.stringify(canary.model ?? canary.image)}, identical to the stable version; a canary must differ (promote by changing ${registry ? 'model' : 'image'} and removing canary)`);
  }
  if (p.gateway && !Number.isInteger(canary.weight)) fail(at, 'canary.weight', `got ${canary.weight}; must be a whole number with a gateway (HTTPRoute weights are integers)`);
  if (canary.judge) judgedAliases(p, at);
}

/**
 * The registered model and the two aliases a canary judge moves: the stable variant must serve
 * `models:/<name>@<champion>` and the canary `models:/<name>@<challenger>` of the same model.
 * @internal
 */
export function judgedAliases(p: ParsedModelProps, at: string): { registeredModel: string; champion: string; challenger: string } {
  const stable = p.model ? REGISTRY_URI.exec(p.model) : null;
  const canary = p.canary?.model ? REGISTRY_URI.exec(p.canary.model) : null;
  if (!stable?.[2]) fail(at, 'canary.judge', `needs the stable model to be an alias URI such as "models:/churn@champion"; got model ${JSON.stringify(p.model ?? p.image)}`);
  if (!canary?.[2] || canary[1] !== stable[1]) {
    fail(at, 'canary.judge', `needs the canary to serve another alias of the same registered model, e.g. "models:/${stable[1]}@challenger"; got canary.model ${JSON.stringify(p.canary?.model)}`);
  }
  if (!p.canary!.judge!.prometheusUrl && !(p.platform as IMlopsPlatform).monitoring?.prometheusUrl) {
    fail(at, 'canary.judge.prometheusUrl', 'nothing given and the platform has no monitoring with a Prometheus URL; give the Prometheus API the judge queries');
  }
  return { registeredModel: stable[1]!, champion: stable[2], challenger: canary[2] };
}

/** The registered model's name as a Kubernetes name, when it is a valid one. */
function defaultName(model: string | undefined): string | undefined {
  const registered = model ? REGISTRY_URI.exec(model)?.[1] : undefined;
  if (!registered) return undefined;
  const candidate = registered.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '');
  return k8sNamePrefix.safeParse(candidate).success ? candidate : undefined;
}
