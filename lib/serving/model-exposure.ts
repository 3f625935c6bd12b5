import type { Construct } from 'constructs';
import { ServiceV1 } from '@cdktf/provider-kubernetes/lib/service-v1';
import { IngressV1 } from '@cdktf/provider-kubernetes/lib/ingress-v1';
import type { NetworkPolicyV1 } from '@cdktf/provider-kubernetes/lib/network-policy-v1';
import { Release } from '@cdktf/provider-helm/lib/release';
import { localChart } from '../core/assets';
import type { NetworkPeer } from '../core/network';
import { allowEgressTargets } from '../cluster/mlops-namespace';
import type { IMlopsPlatform } from '../core/platform-context';
import type { ModelServer, ParsedModelProps } from './model-props';
import { withVariant } from './model-variant';

/** Annotation with the canary's achieved share of traffic, in percent. */
export const CANARY_EFFECTIVE_WEIGHT_ANNOTATION = 'mlops.cdktf.io/canary-effective-weight';

const SERVICE_PORT = 80;

/** How the model is reached. @internal */
export interface ModelExposureOptions {
  readonly name: string;
  readonly namespace: string;
  readonly labels: Record<string, string>;
  /** Labels selecting the pods of all variants. */
  readonly podSelector: Record<string, string>;
  readonly canary?: ParsedModelProps['canary'];
  readonly gateway?: ParsedModelProps['gateway'];
  readonly ingress?: ParsedModelProps['ingress'];
}

/** The objects that route requests to the model's pods. */
export interface ModelExposure {
  readonly service: ServiceV1;
  readonly canaryService?: ServiceV1;
  readonly route?: Release;
  readonly ingress?: IngressV1;
  readonly serviceUrl: string;
}

/**
 * Services, and the HTTPRoute or Ingress in front of them. Without a gateway
 * one Service selects both variants (the replica ratio splits requests); with
 * one, each variant has its Service and the route splits by weight.
 * @internal
 */
export function exposeModel(scope: Construct, o: ModelExposureOptions): ModelExposure {
  const { name, namespace: ns, labels, canary, gateway } = o;
  const serviceOf = (sid: string, sname: string, selector: Record<string, string>) =>
    new ServiceV1(scope, sid, {
      metadata: { name: sname, namespace: ns, labels },
      spec: { type: 'ClusterIP', selector, port: [{ name: 'http', port: SERVICE_PORT, targetPort: 'http' }] },
    });
  const service = serviceOf('Service', name, gateway ? withVariant(o.podSelector, 'stable') : o.podSelector);
  const canaryService = canary && gateway ? serviceOf('CanaryService', `${name}-canary`, withVariant(o.podSelector, 'canary')) : undefined;
  const route = gateway ? httpRoute(scope, o, [service, ...(canaryService ? [canaryService] : [])]) : undefined;
  const ingress = o.ingress ? tlsIngress(scope, o.ingress, name, ns, labels, service) : undefined;
  return { service, canaryService, route, ingress, serviceUrl: `http://${name}.${ns}.svc.cluster.local` };
}

/** An HTTPRoute on the Gateway, shipped as a local chart so no CRD is needed at plan time. */
function httpRoute(scope: Construct, o: ModelExposureOptions, services: ServiceV1[]): Release {
  const { name, canary, gateway } = o;
  const w = canary?.weight ?? 0;
  return new Release(scope, 'Route', {
    name: `${name}-route`,
    chart: localChart(scope, 'RouteChart', 'serving', 'model-route'),
    namespace: o.namespace,
    atomic: true,
    cleanupOnFail: true,
    values: [
      JSON.stringify({
        name,
        labels: o.labels,
        annotations: canary ? { [CANARY_EFFECTIVE_WEIGHT_ANNOTATION]: String(w) } : {},
        gateway: { name: gateway!.name, namespace: gateway!.namespace, sectionName: gateway!.sectionName ?? '' },
        hostnames: gateway!.hostnames ?? [],
        pathPrefix: '/',
        backends: [
          { service: name, port: SERVICE_PORT, weight: 100 - w },
          ...(canary ? [{ service: `${name}-canary`, port: SERVICE_PORT, weight: w }] : []),
        ],
      }),
    ],
    dependsOn: services,
  });
}

function tlsIngress(
  scope: Construct,
  ingress: NonNullable<ParsedModelProps['ingress']>,
  name: string,
  namespace: string,
  labels: Record<string, string>,
  service: ServiceV1,
): IngressV1 {
  return new IngressV1(scope, 'Ingress', {
    metadata: {
      name, namespace, labels,
      annotations: {
        ...(ingress.clusterIssuer ? { 'cert-manager.io/cluster-issuer': ingress.clusterIssuer } : {}),
        'nginx.ingress.kubernetes.io/ssl-redirect': 'true',
      },
    },
    spec: {
      ingressClassName: ingress.className,
      tls: [{ hosts: [ingress.host], secretName: ingress.tlsSecretName ?? `${name}-tls` }],
      rule: [{ host: ingress.host, http: { path: [{ path: '/', pathType: 'Prefix', backend: { service: { name: service.metadata.name, port: { number: SERVICE_PORT } } } }] } }],
    },
  });
}

/** Who may talk to the model's pods, and where the pods may go. @internal */
export interface ModelTrafficOptions extends Pick<ModelExposureOptions, 'podSelector' | 'gateway' | 'ingress'> {
  readonly platform: IMlopsPlatform;
  readonly server: ModelServer;
  readonly clientPodLabels: Record<string, string>;
  /** The pods write inference logs to the artifact store. */
  readonly writesInferenceLogs: boolean;
}

/**
 * Network policies: clients with the client label, Prometheus and the
 * ingress/gateway proxies may call the pods; the pods reach the tracking
 * server (by its client label, set on the pods), the store (inference logs)
 * and cloud credentials.
 * @internal
 */
export function allowModelTraffic(scope: Construct, o: ModelTrafficOptions): NetworkPolicyV1[] {
  const { platform, server, podSelector, gateway } = o;
  const name = server.name;
  const from: NetworkPeer[] = [{ podLabels: o.clientPodLabels }];
  if (platform.monitoring) from.push({ namespace: platform.monitoring.prometheusNamespace });
  if (o.ingress) from.push({ namespace: o.ingress.controllerNamespace });
  if (gateway) from.push({ namespace: gateway.proxyNamespace ?? gateway.namespace });
  const servingPort = server.servingPort;
  const metricsPort = server.metricsPortName === 'metrics' ? [{ port: server.metrics!.port }] : [];
  const egress = [...(o.writesInferenceLogs ? platform.artifactStore.egress : []), ...(platform.cloudIdentity?.credentialEgress ?? [])];
  return [
    platform.namespace.allowIngress(scope, 'AllowIngress', { name: `${name}-model-ingress`, podLabels: podSelector, from, ports: [{ port: servingPort }, ...metricsPort] }),
    clientEgress(scope, o),
    ...allowEgressTargets(platform.namespace, scope, `${name}-model`, podSelector, egress),
  ];
}

const COMPONENT = 'app.kubernetes.io/component';
const INSTANCE = 'app.kubernetes.io/instance';

/**
 * The clients' side: pods with the client label may reach the model's pods. The namespace's shared policy
 * lets every model's clients reach the platform's model servers on the port; each model's ingress policy
 * admits its own clients only, so what may connect is the same as with a policy per model.
 */
function clientEgress(scope: Construct, o: ModelTrafficOptions): NetworkPolicyV1 {
  const { platform, server, podSelector } = o;
  const [labelKey, ...more] = Object.keys(o.clientPodLabels);
  const servers = podSelector[COMPONENT] !== undefined && podSelector[INSTANCE] !== undefined
    ? { [COMPONENT]: podSelector[COMPONENT], [INSTANCE]: podSelector[INSTANCE] } : undefined;
  const ports = [{ port: server.servingPort }];
  if (platform.namespace.sharedEgressFrom && labelKey !== undefined && more.length === 0 && servers) {
    return platform.namespace.sharedEgressFrom(labelKey, { name: 'model-clients', to: [{ podLabels: servers }], ports });
  }
  return platform.namespace.allowEgress(scope, 'AllowClients', { name: `${server.name}-model-clients-egress`, podLabels: o.clientPodLabels, to: [{ podLabels: podSelector }], ports });
}
