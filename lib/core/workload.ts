import { z } from 'zod';
import type { Affinity, Container, EnvVar, PodSpec, Probe, Toleration, TopologySpread, Volume, VolumeMount } from './pod-spec';
import { cpuQuantity, memoryQuantity, parseMemory } from './validators';

/**
 * The secure workload builder. Every pod the library creates is built here, so
 * the security posture is defined once: non-root, seccomp RuntimeDefault,
 * read-only root filesystem with emptyDir mounts only where a program writes,
 * no privilege escalation, all capabilities dropped, no service-account token,
 * requests and a memory limit always set, pinned images (checked by the
 * constructs' schemas).
 *
 * The pod spec types are the library's own (lib/core/pod-spec.ts), assignable to the pod
 * template of every workload kind of the provider (checked by test/core/workload.test.ts).
 */
export type { PodSpec, EnvVar, Volume, VolumeMount, Toleration, Affinity, TopologySpread } from './pod-spec';

/** Opt-outs from the secure defaults. Each one weakens isolation; use only where a program needs it. */
export interface SecurityOptions {
  /**
   * Mount the root filesystem read-only; programs write only to emptyDir mounts.
   * @default true
   */
  readonly readOnlyRootFilesystem?: boolean;
  /**
   * Refuse to start containers as root.
   * @default true
   */
  readonly runAsNonRoot?: boolean;
  /**
   * User id of every container.
   * @default 10001 (the image's own non-root user where one is documented, e.g. 999 for Postgres)
   */
  readonly runAsUser?: number;
  /**
   * Group id of every container, and of files on mounted volumes.
   * @default the same as runAsUser
   */
  readonly runAsGroup?: number;
  /**
   * Allow setuid binaries and the like to gain privileges.
   * @default false
   */
  readonly allowPrivilegeEscalation?: boolean;
  /**
   * Linux capabilities to add back after dropping ALL (e.g. NET_BIND_SERVICE).
   * @default - none
   */
  readonly addCapabilities?: string[];
  /**
   * seccomp profile type.
   * @default 'RuntimeDefault'
   */
  readonly seccompProfile?: 'RuntimeDefault' | 'Unconfined';
}

/** @internal */
export const securityOptionsSchema = z.strictObject({
  readOnlyRootFilesystem: z.boolean().optional(),
  runAsNonRoot: z.boolean().optional(),
  runAsUser: z.number().int().min(0).optional(),
  runAsGroup: z.number().int().min(0).optional(),
  allowPrivilegeEscalation: z.boolean().optional(),
  addCapabilities: z.array(z.string().regex(/^[A-Z_]+$/, { message: 'must be a capability name such as NET_BIND_SERVICE' })).optional(),
  seccompProfile: z.enum(['RuntimeDefault', 'Unconfined']).optional(),
});

/** CPU and memory of a container. A memory limit is always set. */
export interface ResourceOptions {
  /** CPU request, e.g. `250m` or `2`. */
  readonly cpu: string;
  /** Memory request, e.g. `512Mi`. */
  readonly memory: string;
  /**
   * Memory limit; the container is killed above it.
   * @default - the memory request (guaranteed memory, no overcommit)
   */
  readonly memoryLimit?: string;
  /**
   * CPU limit. Left unset by default: CPU limits cause throttling without protecting neighbours.
   * @default - no CPU limit
   */
  readonly cpuLimit?: string;
  /**
   * NVIDIA GPUs (`nvidia.com/gpu`), set as a limit as Kubernetes requires.
   * @default 0
   */
  readonly gpus?: number;
}

/** @internal */
export const resourcesSchema = z
  .strictObject({
    cpu: cpuQuantity,
    memory: memoryQuantity,
    memoryLimit: memoryQuantity.optional(),
    cpuLimit: cpuQuantity.optional(),
    gpus: z.number().int({ message: 'must be a whole number' }).min(0, { message: 'must be 0 or more' }).optional(),
  })
  .refine((r) => !r.memoryLimit || parseMemory(r.memoryLimit) >= parseMemory(r.memory), {
    message: 'memoryLimit must be at least the memory request',
    path: ['memoryLimit'],
  });

/** A probe: an HTTP GET, a command, or a TCP connect. */
export type ProbeOptions =
  | { readonly httpGet: { readonly path: string; readonly port: number | string }; readonly timing?: ProbeTiming }
  | { readonly exec: string[]; readonly timing?: ProbeTiming }
  | { readonly tcpPort: number | string; readonly timing?: ProbeTiming };

export interface ProbeTiming {
  readonly initialDelaySeconds?: number;
  readonly periodSeconds?: number;
  readonly timeoutSeconds?: number;
  readonly failureThreshold?: number;
}

/** One container of a pod. */
export interface ContainerOptions {
  readonly name: string;
  /** A pinned image; constructs validate it with `imageRef`. */
  readonly image: string;
  readonly command?: string[];
  readonly args?: string[];
  readonly env?: EnvVar[];
  /** Existing Secrets whose every key becomes an environment variable. */
  readonly envFromSecrets?: string[];
  readonly ports?: { readonly name: string; readonly containerPort: number }[];
  readonly resources: ResourceOptions;
  readonly startupProbe?: ProbeOptions;
  readonly readinessProbe?: ProbeOptions;
  readonly livenessProbe?: ProbeOptions;
  readonly volumeMounts?: VolumeMount[];
  /** Directories the program writes to; each gets an emptyDir, since the root filesystem is read-only. */
  readonly writablePaths?: string[];
  readonly workingDir?: string;
  /**
   * Seconds to wait (`sleep` in the image) before the container is stopped, so endpoints and load
   * balancers stop sending it requests before the server shuts down: no dropped requests on rollouts.
   * @default - no wait
   */
  readonly drainSeconds?: number;
}

/** A pod built by {@link buildPodSpec}. */
export interface PodOptions {
  readonly containers: ContainerOptions[];
  /** Run in order before the containers; a failing one fails the pod. */
  readonly initContainers?: ContainerOptions[];
  readonly serviceAccountName?: string;
  /**
   * Mount a service-account token. Only pods that call the Kubernetes API need one.
   * @default false
   */
  readonly automountServiceAccountToken?: boolean;
  readonly security?: SecurityOptions;
  /** Extra volumes (PVCs, Secrets, ConfigMaps); emptyDirs for writablePaths are added automatically. */
  readonly volumes?: Volume[];
  readonly restartPolicy?: 'Always' | 'OnFailure' | 'Never';
  readonly nodeSelector?: Record<string, string>;
  readonly tolerations?: Toleration[];
  readonly affinity?: Affinity;
  readonly topologySpread?: TopologySpread[];
  readonly terminationGracePeriodSeconds?: number;
  readonly subdomain?: string;
  /** Secrets the kubelet pulls the images with (see `workload-options.ts`). */
  readonly imagePullSecrets?: string[];
  readonly priorityClassName?: string;
}

/**
 * What Pod Security `restricted` (or `baseline`) would refuse in these overrides: the API server
 * would reject every pod at apply time, so the constructs reject the props at construct time.
 */
export function podSecurityProblems(sec: SecurityOptions | undefined, level: 'restricted' | 'baseline' | 'privileged' | undefined): { prop: string; message: string }[] {
  if (!sec || level === undefined || level === 'privileged') return [];
  const out: { prop: string; message: string }[] = [];
  const refuse = (prop: string, got: string, why: string) => out.push({ prop, message: `got ${got}; the namespace enforces Pod Security "${level}", which refuses ${why}` });
  const badCaps = (sec.addCapabilities ?? []).filter((c) => (level === 'restricted' ? c !== 'NET_BIND_SERVICE' : !BASELINE_CAPABILITIES.has(c)));
  if (badCaps.length) refuse('security.addCapabilities', JSON.stringify(badCaps), level === 'restricted' ? 'any added capability except NET_BIND_SERVICE' : 'capabilities outside the default set');
  if (level === 'restricted') {
    if (sec.runAsNonRoot === false) refuse('security.runAsNonRoot', 'false', 'containers that may run as root');
    if (sec.runAsUser === 0) refuse('security.runAsUser', '0', 'user 0 (root)');
    if (sec.allowPrivilegeEscalation === true) refuse('security.allowPrivilegeEscalation', 'true', 'privilege escalation');
    if (sec.seccompProfile === 'Unconfined') refuse('security.seccompProfile', '"Unconfined"', 'an unconfined seccomp profile');
  } else if (sec.seccompProfile === 'Unconfined') refuse('security.seccompProfile', '"Unconfined"', 'an unconfined seccomp profile');
  return out;
}
const BASELINE_CAPABILITIES = new Set(['AUDIT_WRITE', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'MKNOD', 'NET_BIND_SERVICE', 'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_CHROOT']);

/** Default non-root user for images that do not name one. */
export const DEFAULT_UID = 10001;

/** Builds a pod spec with the secure defaults applied. */
export function buildPodSpec(opts: PodOptions): PodSpec {
  const sec = opts.security ?? {};
  const uid = sec.runAsUser ?? DEFAULT_UID;
  const gid = sec.runAsGroup ?? uid;
  const scratch: Volume[] = [];
  const seen = new Map<string, string>();
  const containerOf = (c: ContainerOptions): Container => {
    const mounts: VolumeMount[] = [...(c.volumeMounts ?? [])];
    for (const path of c.writablePaths ?? []) {
      let vol = seen.get(path);
      if (!vol) {
        vol = `scratch-${seen.size}`;
        seen.set(path, vol);
        scratch.push({ name: vol, emptyDir: { sizeLimit: path === '/tmp' ? '1Gi' : undefined } });
      }
      mounts.push({ name: vol, mountPath: path });
    }
    return {
      name: c.name,
      image: c.image,
      imagePullPolicy: 'IfNotPresent',
      command: c.command,
      args: c.args,
      workingDir: c.workingDir,
      env: c.env?.length ? c.env : undefined,
      envFrom: c.envFromSecrets?.length ? c.envFromSecrets.map((name) => ({ secretRef: { name } })) : undefined,
      port: c.ports?.map((p) => ({ name: p.name, containerPort: p.containerPort, protocol: 'TCP' })),
      resources: resourcesOf(c.resources),
      startupProbe: probeOf(c.startupProbe),
      readinessProbe: probeOf(c.readinessProbe),
      livenessProbe: probeOf(c.livenessProbe),
      volumeMount: mounts.length ? mounts : undefined,
      lifecycle: c.drainSeconds ? { preStop: [{ exec: { command: ['sleep', String(c.drainSeconds)] } }] } : undefined,
      // The settings that exist only per container; the user, group, non-root rule and seccomp profile
      // are the pod's (below), which every container inherits: Kubernetes applies the pod's unless a
      // container sets its own, and Pod Security's `restricted` accepts them at either level.
      securityContext: {
        readOnlyRootFilesystem: sec.readOnlyRootFilesystem ?? true,
        allowPrivilegeEscalation: sec.allowPrivilegeEscalation ?? false,
        capabilities: { drop: ['ALL'], add: sec.addCapabilities?.length ? sec.addCapabilities : undefined },
      },
    };
  };
  const containers = opts.containers.map(containerOf);
  const initContainers = (opts.initContainers ?? []).map(containerOf);
  return {
    serviceAccountName: opts.serviceAccountName,
    automountServiceAccountToken: opts.automountServiceAccountToken ?? false,
    enableServiceLinks: false,
    restartPolicy: opts.restartPolicy,
    nodeSelector: opts.nodeSelector,
    toleration: opts.tolerations,
    affinity: opts.affinity,
    topologySpreadConstraint: opts.topologySpread,
    terminationGracePeriodSeconds: opts.terminationGracePeriodSeconds,
    subdomain: opts.subdomain,
    imagePullSecrets: opts.imagePullSecrets?.length ? opts.imagePullSecrets.map((name) => ({ name })) : undefined,
    priorityClassName: opts.priorityClassName,
    securityContext: {
      runAsNonRoot: sec.runAsNonRoot ?? true,
      runAsUser: String(uid),
      runAsGroup: String(gid),
      fsGroup: String(gid),
      fsGroupChangePolicy: 'OnRootMismatch',
      seccompProfile: { type: sec.seccompProfile ?? 'RuntimeDefault' },
    },
    initContainer: initContainers.length ? initContainers : undefined,
    container: containers,
    volume: [...(opts.volumes ?? []), ...scratch],
  };
}

function resourcesOf(r: ResourceOptions): Container['resources'] {
  const gpus = r.gpus ?? 0;
  return {
    requests: { cpu: r.cpu, memory: r.memory, ...(gpus > 0 ? { 'nvidia.com/gpu': String(gpus) } : {}) },
    limits: {
      memory: r.memoryLimit ?? r.memory,
      ...(r.cpuLimit ? { cpu: r.cpuLimit } : {}),
      ...(gpus > 0 ? { 'nvidia.com/gpu': String(gpus) } : {}),
    },
  };
}

function probeOf(p: ProbeOptions | undefined): Probe | undefined {
  if (!p) return undefined;
  const t = p.timing ?? {};
  const timing = {
    initialDelaySeconds: t.initialDelaySeconds,
    periodSeconds: t.periodSeconds ?? 10,
    timeoutSeconds: t.timeoutSeconds ?? 5,
    failureThreshold: t.failureThreshold ?? 3,
  };
  if ('httpGet' in p) return { ...timing, httpGet: { path: p.httpGet.path, port: String(p.httpGet.port), scheme: 'HTTP' } };
  if ('exec' in p) return { ...timing, exec: { command: p.exec } };
  return { ...timing, tcpSocket: [{ port: String(p.tcpPort) }] };
}

/** Environment variable from a key of a Secret. */
export function envFromSecret(name: string, secretName: string, key: string): EnvVar {
  return { name, valueFrom: { secretKeyRef: { name: secretName, key } } };
}
