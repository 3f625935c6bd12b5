import { Construct } from 'constructs';
import { z } from 'zod';
import { DeploymentV1 } from '@cdktf/provider-kubernetes/lib/deployment-v1';
import { ServiceV1 } from '@cdktf/provider-kubernetes/lib/service-v1';
import { SecretV1 } from '@cdktf/provider-kubernetes/lib/secret-v1';
import { ConfigMapV1 } from '@cdktf/provider-kubernetes/lib/config-map-v1';
import { IngressV1 } from '@cdktf/provider-kubernetes/lib/ingress-v1';
import { generatedPassword } from '../core/providers';
import { parseProps } from '../core/props';
import { fail } from '../core/errors';
import { contracts, dnsSubdomainName, hostname, imageRef, ingressClassName, k8sName, positiveInt } from '../core/validators';
import { selectorLabels, standardLabels, TRACKING_CLIENT_LABEL } from '../core/labels';
import { buildPodSpec, envFromSecret, resourcesSchema, securityOptionsSchema, type EnvVar, type ResourceOptions, type SecurityOptions } from '../core/workload';
import { programFiles } from '../core/assets';
import { DEFAULT_IMAGES } from '../core/images';
import type { ICloudIdentity } from '../core/identity';
import type { IMonitoringSink } from '../core/observability';
import { WorkloadIdentity } from '../cluster/workload-identity';
import { DisruptionBudgets } from '../cluster/disruption-budgets';
import { allowEgressTargets, type MlopsNamespace } from '../cluster/mlops-namespace';
import type { IArtifactStore } from '../stores/artifact-store';
import type { IRegistryDatabase } from '../stores/registry-database';
import { podSecurityProblems } from '../core/workload';
import { claimKubernetesName } from '../core/names';
import type { WorkloadResource } from '../core/workload-resource';
import { applyWorkloadOptions, workloadOptionsShape, type WorkloadOptions } from '../core/workload-options';
import { applyObjectMetadata } from '../core/object-metadata';

/** Built-in authentication of the tracking server (MLflow `basic-auth` app). */
export interface TrackingAuthOptions {
  /**
   * Turn MLflow's built-in auth on.
   * @default - on when the server is exposed through an Ingress, off otherwise
   */
  readonly enabled?: boolean;
  /**
   * Existing Secret with the admin credentials (keys `username` and `password`).
   * @default - a Secret with user `admin` and a generated password
   */
  readonly adminSecretName?: string;
  /**
   * Existing Secret (keys `username` and `password`) of the MLflow user that the platform's in-cluster
   * clients (training jobs, the promotion gate, registry-served models) log in as. Create that user
   * with the permissions they need; the admin's credentials then stay with the server.
   * @default - the admin credentials
   */
  readonly clientSecretName?: string;
  /**
   * Permission of users on resources they did not create.
   * @default 'READ'
   */
  readonly defaultPermission?: 'READ' | 'EDIT' | 'MANAGE' | 'NO_PERMISSIONS';
}

/** Exposure outside the cluster through an Ingress with TLS. */
export interface TrackingIngressOptions {
  /** Public host name, e.g. `mlflow.example.com`. */
  readonly host: string;
  /**
   * Ingress class.
   * @default 'nginx'
   */
  readonly className?: string;
  /**
   * Secret holding the TLS certificate (created by cert-manager when `clusterIssuer` is set).
   * @default '<name>-tls'
   */
  readonly tlsSecretName?: string;
  /**
   * cert-manager ClusterIssuer that issues the certificate.
   * @default - none: the TLS Secret must exist
   */
  readonly clusterIssuer?: string;
  /**
   * Namespace of the ingress controller, admitted by the network policy.
   * @default 'ingress-nginx'
   */
  readonly controllerNamespace?: string;
}

/** Properties of a {@link TrackingServer}. */
export interface TrackingServerProps extends WorkloadOptions {
  readonly namespace: MlopsNamespace;
  /** Where run artifacts live. */
  readonly artifactStore: IArtifactStore;
  /** The tracking and model-registry database. */
  readonly database: IRegistryDatabase;
  /**
   * Name of the Deployment and Service.
   * @default 'mlflow'
   */
  readonly name?: string;
  /**
   * MLflow image with the Postgres driver and boto3; pinned.
   * @default 'ghcr.io/mlflow/mlflow:v3.17.0-full'
   */
  readonly image?: string;
  /**
   * Pods serving the tracking API. More than one needs a shared artifact store.
   * @default 1
   */
  readonly replicas?: number;
  /**
   * Server worker processes per pod.
   * @default 2
   */
  readonly workers?: number;
  /**
   * CPU and memory of the server container.
   * @default { cpu: '500m', memory: '1Gi' }
   */
  readonly resources?: ResourceOptions;
  /** @default - see {@link TrackingAuthOptions} */
  readonly auth?: TrackingAuthOptions;
  /**
   * Expose the server outside the cluster.
   * @default - not exposed: ClusterIP Service only
   */
  readonly ingress?: TrackingIngressOptions;
  /**
   * More Host header patterns the server accepts (MLflow >= 3.5 rejects unknown hosts), e.g. pod IP
   * ranges of IPv6 or custom-networking clusters that Prometheus scrapes by (`198.19.*`, `[fd*`).
   * @default - the Service's DNS names, the ingress host, localhost, and the 10/172/192.168/100 ranges
   */
  readonly extraAllowedHosts?: string[];
  /**
   * Cloud identity for the server's service account (e.g. S3 access).
   * @default - none
   */
  readonly cloudIdentity?: ICloudIdentity;
  /**
   * Where to register the server for scraping, dashboards and alerts.
   * @default - not monitored
   */
  readonly monitoring?: IMonitoringSink;
  /**
   * Opt-outs from the secure pod defaults.
   * @default - none
   */
  readonly security?: SecurityOptions;
}

const isObject = (what: string, key: string) =>
  z.custom<any>((v) => typeof v === 'object' && v !== null && key in v, { message: `must be ${what}` });

const schema = z.strictObject({
  namespace: isObject('an MlopsNamespace', 'allowIngress'),
  artifactStore: isObject('an IArtifactStore', 'artifactsDestination'),
  database: isObject('an IRegistryDatabase', 'uriSecret'),
  name: k8sName.default('mlflow'),
  image: imageRef.default(DEFAULT_IMAGES.mlflow),
  replicas: positiveInt.default(1),
  workers: positiveInt.max(32, { message: 'must be at most 32' }).default(2),
  resources: resourcesSchema.default({ cpu: '500m', memory: '1Gi' }),
  auth: z
    .strictObject({
      enabled: z.boolean().optional(),
      adminSecretName: k8sName.optional(),
      clientSecretName: k8sName.optional(),
      defaultPermission: z.enum(['READ', 'EDIT', 'MANAGE', 'NO_PERMISSIONS']).default('READ'),
    })
    .default({ defaultPermission: 'READ' }),
  ingress: z
    .strictObject({
      host: hostname,
      className: ingressClassName.default('nginx'),
      tlsSecretName: k8sName.optional(),
      clusterIssuer: dnsSubdomainName.optional(),
      controllerNamespace: k8sName.default('ingress-nginx'),
    })
    .optional(),
  extraAllowedHosts: z.array(z.string().regex(/^[^\s,]+$/, { message: 'must be a host pattern without spaces or commas' })).default([]),
  cloudIdentity: contracts.cloudIdentity().optional(),
  monitoring: contracts.monitoringSink().optional(),
  security: securityOptionsSchema.optional(),
  ...workloadOptionsShape,
});

const PORT = 5000;
const AUTH_CONFIG_DIR = '/etc/mlflow-auth';
const SCRIPT_DIR = '/opt/mlops';
const DATABASE_URI_DIR = '/etc/mlflow-database';
const RELOAD_JITTER_SECONDS = 60;

/**
 * The MLflow tracking server and model registry: a Deployment running
 * `mlflow server` with the backend URI from a mounted Secret (a rotated
 * password restarts the server container with it), artifacts proxied
 * (`--serve-artifacts`), the schema prepared by an init container before the
 * server starts, probes on `/health`, Prometheus metrics, and a ClusterIP
 * Service. Built-in auth is available and on by default when exposed.
 */
export class TrackingServer extends Construct {
  /** The in-cluster URI that clients put in MLFLOW_TRACKING_URI. */
  public readonly trackingUri: string;
  /** `https://<ingress host>`, when exposed through an ingress. */
  public readonly externalUri?: string;
  /** Service name. */
  public readonly serviceName: string;
  /** Whether built-in auth is on. */
  public readonly authEnabled: boolean;
  /** Secret with the admin credentials (`username`, `password`) when auth is on. */
  public readonly adminSecretName?: string;
  /** Secret with the credentials in-cluster clients use (`username`, `password`) when auth is on. */
  public readonly clientSecretName?: string;
  /** Labels of the server pods. */
  public readonly podLabels: Record<string, string>;
  public readonly deployment: WorkloadResource;
  public readonly service: ServiceV1;
  public readonly identity: WorkloadIdentity;
  public readonly ingress?: IngressV1;
  /**
   * Name of the PodDisruptionBudget (`<name>-pdb`, with more than one replica): one pod down at a time,
   * pods that are not Ready always evictable. Rendered by `DisruptionBudgets.of(namespace)`.
   */
  public readonly disruptionBudgetName?: string;
  /** Generated auth Secret (admin password, session key), when auth is on. */
  public readonly authSecret?: SecretV1;

  constructor(scope: Construct, id: string, props: TrackingServerProps) {
    super(scope, id);
    const p = parseProps(schema, props, this);
    const namespace = p.namespace as MlopsNamespace;
    const store = p.artifactStore as IArtifactStore;
    const database = p.database as IRegistryDatabase;
    const ns = namespace.name;
    applyObjectMetadata(this, p);

    const replicasProblem = store.trackingReplicasProblem(p.replicas);
    if (replicasProblem) fail(this.node.path, 'replicas', `got ${p.replicas}; ${replicasProblem}`);

    const ident = { name: 'mlflow', instance: p.name, component: 'tracking-server' };
    const labels = standardLabels(ident);
    this.podLabels = selectorLabels(ident);
    this.authEnabled = p.auth.enabled ?? p.ingress !== undefined;
    if (!this.authEnabled && (p.auth.clientSecretName || p.auth.adminSecretName)) {
      fail(this.node.path, p.auth.clientSecretName ? 'auth.clientSecretName' : 'auth.adminSecretName', 'credentials were given but auth is off; set auth.enabled: true (auth is on by default only when exposed through ingress)');
    }
    this.serviceName = p.name;
    claimKubernetesName(this, 'name', 'Service', ns, p.name);
    for (const problem of podSecurityProblems(p.security, namespace.podSecurity)) fail(this.node.path, problem.prop, problem.message);
    this.trackingUri = `http://${p.name}.${namespace.literalName}.svc.cluster.local:${PORT}`;
    this.externalUri = p.ingress ? `https://${p.ingress.host}` : undefined;

    this.identity = new WorkloadIdentity(this, 'Identity', {
      namespace: ns, name: p.name, kind: 'tracking', labels, cloud: p.cloudIdentity,
    });
    const artifacts = store.bind({ identity: this.identity, access: 'readwrite', grantId: 'TrackingArtifacts' });
    database.allowConnectionsFrom(this.podLabels);

    const env: EnvVar[] = [{ name: 'HOME', value: '/tmp' }, ...artifacts.env];
    const serverEnv: EnvVar[] = [
      ...env,
      // The server reads the URI from the mounted Secret, which kubelet refreshes (an env var is fixed at
      // start): serve_tracking.py restarts the container when the credentials rotate.
      { name: 'MLOPS_BACKEND_STORE_URI_FILE', value: `${DATABASE_URI_DIR}/uri` },
      // Replicas restart at random moments within this window, so the others keep serving.
      { name: 'MLOPS_RELOAD_JITTER_SECONDS', value: String(p.replicas > 1 ? RELOAD_JITTER_SECONDS : 0) },
      // MLflow >= 3.5 rejects Host headers it does not know (DNS-rebinding guard).
      { name: 'MLFLOW_SERVER_ALLOWED_HOSTS', value: [...allowedHosts(p.name, namespace.literalName, p.ingress?.host), ...p.extraAllowedHosts].join(',') },
      { name: 'MLFLOW_EXPOSE_PROMETHEUS', value: '/tmp/prometheus-metrics' },
      // MLflow >= 3.5 also rejects state-changing API calls from a non-localhost Origin: the UI served
      // through the Ingress (always TLS) sends its own.
      ...(p.ingress ? [{ name: 'MLFLOW_SERVER_CORS_ALLOWED_ORIGINS', value: `https://${p.ingress.host}` }] : []),
      // MLflow >= 3.x starts a job runner (seven huey consumers, periodic tasks on every replica) for
      // GenAI jobs the platform does not use; off, the pod's CPU and memory go to the API.
      { name: 'MLFLOW_SERVER_ENABLE_JOB_EXECUTION', value: 'false' },
      { name: 'MLFLOW_DISABLE_TELEMETRY', value: 'true' },
    ];
    const prepareEnv: EnvVar[] = [
      ...env,
      // Read at the pod's start, when the init container runs.
      envFromSecret('MLFLOW_BACKEND_STORE_URI', database.uriSecret.name, database.uriSecret.key),
      { name: 'MLFLOW_DISABLE_TELEMETRY', value: 'true' },
      { name: 'MLOPS_AUTH_ENABLED', value: String(this.authEnabled) },
    ];
    if (this.authEnabled) {
      let adminSecret = p.auth.adminSecretName;
      let sessionKeyRef = { name: '', key: 'flask-secret-key' };
      const sessionKey = generatedPassword(this, 'SessionKey', 48);
      if (!adminSecret) {
        const adminPassword = generatedPassword(this, 'AdminPassword', 32);
        this.authSecret = new SecretV1(this, 'AuthSecret', {
          metadata: { name: `${p.name}-auth`, namespace: ns, labels },
          data: { username: 'admin', password: adminPassword.result, 'flask-secret-key': sessionKey.result },
        });
        adminSecret = this.authSecret.metadata.name;
        sessionKeyRef = { name: adminSecret, key: 'flask-secret-key' };
      } else {
        const keySecret = new SecretV1(this, 'SessionKeySecret', {
          metadata: { name: `${p.name}-session-key`, namespace: ns, labels },
          data: { 'flask-secret-key': sessionKey.result },
        });
        sessionKeyRef = { name: keySecret.metadata.name, key: 'flask-secret-key' };
      }
      this.adminSecretName = adminSecret;
      this.clientSecretName = p.auth.clientSecretName ?? adminSecret;
      const authConfig = `${AUTH_CONFIG_DIR}/basic_auth.ini`;
      serverEnv.push(
        { name: 'MLFLOW_AUTH_CONFIG_PATH', value: authConfig },
        envFromSecret('MLFLOW_FLASK_SERVER_SECRET_KEY', sessionKeyRef.name, sessionKeyRef.key),
      );
      prepareEnv.push(
        { name: 'MLOPS_AUTH_DATABASE', value: database.authDatabaseName },
        { name: 'MLOPS_AUTH_CONFIG_PATH', value: authConfig },
        { name: 'MLOPS_AUTH_DEFAULT_PERMISSION', value: p.auth.defaultPermission },
        envFromSecret('MLFLOW_ADMIN_USERNAME', adminSecret, 'username'),
        envFromSecret('MLFLOW_ADMIN_PASSWORD', adminSecret, 'password'),
      );
    }

    const scripts = new ConfigMapV1(this, 'Scripts', {
      metadata: { name: `${p.name}-scripts`, namespace: ns, labels },
      data: programFiles('tracking', 'serve_tracking.py'), // with prepare_tracking.py, which it imports
    });

    const args = [
      'mlflow', 'server', '--host', '0.0.0.0', '--port', String(PORT),
      '--serve-artifacts', '--artifacts-destination', store.artifactsDestination,
      '--workers', String(p.workers),
      ...(this.authEnabled ? ['--app-name', 'basic-auth'] : []),
    ];
    const sharedWritable = this.authEnabled ? ['/tmp', AUTH_CONFIG_DIR] : ['/tmp'];
    const rwo = store.trackingReplicasProblem(2) !== undefined;
    const podSpec = buildPodSpec(applyWorkloadOptions({
      serviceAccountName: this.identity.serviceAccountName,
      security: p.security,
      affinity: artifacts.affinity,
      volumes: [
        ...artifacts.volumes,
        { name: 'scripts', configMap: { name: scripts.metadata.name, defaultMode: '0444' } },
        // Group-readable: the pod's fsGroup owns the files.
        { name: 'database-uri', secret: { secretName: database.uriSecret.name, defaultMode: '0440', items: [{ key: database.uriSecret.key, path: 'uri' }] } },
      ],
      initContainers: [
        {
          name: 'prepare-database',
          image: p.image,
          command: ['python', `${SCRIPT_DIR}/prepare_tracking.py`],
          env: prepareEnv,
          resources: { cpu: '100m', memory: '512Mi' },
          volumeMounts: [{ name: 'scripts', mountPath: SCRIPT_DIR, readOnly: true }],
          writablePaths: sharedWritable,
        },
      ],
      containers: [
        {
          name: 'mlflow',
          image: p.image,
          command: ['python', `${SCRIPT_DIR}/serve_tracking.py`],
          args,
          env: serverEnv,
          ports: [{ name: 'http', containerPort: PORT }],
          drainSeconds: 5, // endpoints drop the pod before the server stops: no failed requests on rollouts
          resources: p.resources,
          volumeMounts: [
            ...artifacts.volumeMounts,
            { name: 'scripts', mountPath: SCRIPT_DIR, readOnly: true },
            { name: 'database-uri', mountPath: DATABASE_URI_DIR, readOnly: true },
          ],
          writablePaths: sharedWritable,
          startupProbe: { httpGet: { path: '/health', port: 'http' }, timing: { periodSeconds: 5, failureThreshold: 60 } },
          readinessProbe: { httpGet: { path: '/health', port: 'http' }, timing: { periodSeconds: 10 } },
          livenessProbe: { httpGet: { path: '/health', port: 'http' }, timing: { periodSeconds: 20, failureThreshold: 3 } },
        },
      ],
      topologySpread:
        p.replicas > 1
          ? [{ maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: [{ matchLabels: this.podLabels }] }]
          : undefined,
    }, p, this.node.path));

    this.deployment = new DeploymentV1(this, 'Resource', {
      metadata: { name: p.name, namespace: ns, labels },
      spec: {
        replicas: String(p.replicas),
        revisionHistoryLimit: 5,
        selector: { matchLabels: this.podLabels },
        // A ReadWriteOnce volume cannot be attached to a surge pod on another node.
        strategy: rwo
          ? { type: 'Recreate' }
          : { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '0', maxSurge: '1' } },
        template: { metadata: { labels: { ...labels, ...artifacts.podLabels } }, spec: podSpec },
      },
      waitForRollout: true,
      // The init step needs the database; starting after it avoids a crash-looping first rollout.
      dependsOn: database.readyWhen,
    });

    this.service = new ServiceV1(this, 'Service', {
      metadata: { name: p.name, namespace: ns, labels },
      spec: { type: 'ClusterIP', selector: this.podLabels, port: [{ name: 'http', port: PORT, targetPort: 'http' }] },
    });

    if (p.replicas > 1) {
      this.disruptionBudgetName = DisruptionBudgets.of(namespace).add(this, { name: p.name, labels, selector: this.podLabels });
    }

    // Network: clients in the namespace, Prometheus and the ingress controller may call the server;
    // the server may reach its database, the artifact store and its cloud credentials.
    const from = [{ podLabels: { [TRACKING_CLIENT_LABEL]: 'true' } }];
    if (p.monitoring) from.push({ namespace: p.monitoring.prometheusNamespace } as any);
    if (p.ingress) from.push({ namespace: p.ingress.controllerNamespace } as any);
    namespace.allowIngress(this, 'AllowIngress', { name: `${p.name}-ingress`, podLabels: this.podLabels, from, ports: [{ port: PORT }] });
    namespace.allowEgress(this, 'AllowClients', {
      name: `${p.name}-clients-egress`,
      podLabels: { [TRACKING_CLIENT_LABEL]: 'true' },
      to: [{ podLabels: this.podLabels }],
      ports: [{ port: PORT }],
    });
    const egress = [...database.egress, ...store.egress, ...(p.cloudIdentity?.credentialEgress ?? [])];
    allowEgressTargets(namespace, this, p.name, this.podLabels, egress);

    if (p.ingress) {
      const tlsSecret = p.ingress.tlsSecretName ?? `${p.name}-tls`;
      this.ingress = new IngressV1(this, 'Ingress', {
        metadata: {
          name: p.name,
          namespace: ns,
          labels,
          annotations: {
            ...(p.ingress.clusterIssuer ? { 'cert-manager.io/cluster-issuer': p.ingress.clusterIssuer } : {}),
            'nginx.ingress.kubernetes.io/proxy-body-size': '0', // model artifacts can be large
            'nginx.ingress.kubernetes.io/ssl-redirect': 'true',
          },
        },
        spec: {
          ingressClassName: p.ingress.className,
          tls: [{ hosts: [p.ingress.host], secretName: tlsSecret }],
          rule: [
            {
              host: p.ingress.host,
              http: {
                path: [{ path: '/', pathType: 'Prefix', backend: { service: { name: this.service.metadata.name, port: { number: PORT } } } }],
              },
            },
          ],
        },
      });
    }

    p.monitoring?.watch({
      kind: 'tracking-server',
      name: p.name,
      scrape: {
        namespace: namespace.literalName,
        podLabels: this.podLabels,
        portName: 'http',
        path: '/metrics',
        basicAuth: this.adminSecretName ? { secretName: this.adminSecretName, usernameKey: 'username', passwordKey: 'password' } : undefined,
      },
    });
  }

  /**
   * Environment for a client pod: the tracking URI and, with auth on, the
   * credentials. Client pods also need the {@link TRACKING_CLIENT_LABEL} label.
   */
  public clientEnv(): EnvVar[] {
    return [
      { name: 'MLFLOW_TRACKING_URI', value: this.trackingUri },
      ...(this.clientSecretName
        ? [envFromSecret('MLFLOW_TRACKING_USERNAME', this.clientSecretName, 'username'), envFromSecret('MLFLOW_TRACKING_PASSWORD', this.clientSecretName, 'password')]
        : []),
    ];
  }
}

function allowedHosts(name: string, ns: string, publicHost?: string): string[] {
  const hosts = [name, `${name}.${ns}`, `${name}.${ns}.svc`, `${name}.${ns}.svc.cluster.local`, 'localhost', '127.0.0.1'];
  if (publicHost) hosts.push(publicHost);
  // Prometheus scrapes pods by IP: admit IP Host headers of private and carrier-grade NAT ranges
  // (a DNS-rebinding attack carries the attacker's host name, not an IP).
  return [...hosts.flatMap((h) => [h, `${h}:*`]), '10.*', '172.*', '192.168.*', '100.*'];
}

/** The props' zod schema, composed by the platform spec (lib/spec/spec-schema.ts). @internal */
export const trackingServerSchema = schema;
