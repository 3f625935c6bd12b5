import { z } from 'zod';
import { fail as failAt } from './errors';
import { annotationsSchema, envVarName, imageRef, k8sName, labelsSchema, memoryQuantity, noDotDot, tolerationSchema } from './validators';
import { resourcesSchema, type ContainerOptions, type EnvVar, type PodOptions, type ProbeOptions, type ResourceOptions, type Toleration, type Volume } from './workload';

/*
 * The options every workload construct (tracking server, model, training job, drift monitor,
 * in-cluster Postgres, canary judge) shares, so a company adds its labels, pull secrets, secret env
 * and sidecars the same way everywhere, with typed props. Pod-level options are applied to the
 * library's pod options before the secure pod builder (`buildPodSpec`) runs, so a sidecar gets the
 * same security context, resources and read-only root filesystem as the library's containers.
 * Object metadata (labels, annotations) reaches every object of the construct through
 * `object-metadata.ts`.
 */

/** An environment variable read from a key of an existing Secret. */
export interface SecretEnvValue {
  /** Name of the Secret, in the workload's namespace. */
  readonly secretName: string;
  /** Key inside the Secret. */
  readonly key: string;
  /**
   * Start the container even when the Secret or key is missing.
   * @default false
   */
  readonly optional?: boolean;
}

/**
 * An extra volume of the pod. Exactly one source: a Secret, a ConfigMap, an emptyDir or an
 * existing PersistentVolumeClaim (the volume types Pod Security `restricted` admits).
 */
export interface WorkloadVolume {
  /** Volume name, referenced by `volumeMounts[].volume`. */
  readonly name: string;
  /** An existing Secret, mounted read-only (mode 0400). */
  readonly secret?: { readonly secretName: string; readonly optional?: boolean };
  /** An existing ConfigMap, mounted read-only (mode 0444). */
  readonly configMap?: { readonly name: string; readonly optional?: boolean };
  /** A scratch directory that lives as long as the pod. */
  readonly emptyDir?: { readonly sizeLimit?: string; readonly medium?: 'Memory' };
  /** An existing PersistentVolumeClaim. */
  readonly persistentVolumeClaim?: { readonly claimName: string; readonly readOnly?: boolean };
}

/** Where a container mounts one of {@link WorkloadOptions.volumes}. */
export interface WorkloadVolumeMount {
  /** Name of a volume in `volumes`. */
  readonly volume: string;
  /** Absolute path inside the container; must not overlap a path the library mounts (e.g. `/tmp`). */
  readonly mountPath: string;
  /** @default true */
  readonly readOnly?: boolean;
  /** @default - the whole volume */
  readonly subPath?: string;
}

/** An extra container beside the workload's own, built with the same secure defaults. */
export interface SidecarOptions {
  /** Container name; must differ from the library's containers. */
  readonly name: string;
  /** A pinned image (tag or digest). */
  readonly image: string;
  /** @default - the image's entrypoint */
  readonly command?: string[];
  /** @default - the image's */
  readonly args?: string[];
  /** @default - none */
  readonly env?: Record<string, string>;
  /** @default - none */
  readonly secretEnv?: Record<string, SecretEnvValue>;
  /** @default - none */
  readonly ports?: { readonly name: string; readonly containerPort: number }[];
  /** @default { cpu: '50m', memory: '64Mi' } */
  readonly resources?: ResourceOptions;
  /** Mounts of {@link WorkloadOptions.volumes}. @default - none */
  readonly volumeMounts?: WorkloadVolumeMount[];
  /** Directories the sidecar writes to; each gets its own emptyDir (not shared with the workload's). @default - none */
  readonly writablePaths?: string[];
  /** @default - none */
  readonly startupProbe?: ProbeOptions;
  /** A sidecar of a long-running server should have one, as the library's containers do. @default - none */
  readonly readinessProbe?: ProbeOptions;
  /** @default - none */
  readonly livenessProbe?: ProbeOptions;
}

/** Labels, annotations and pull secrets: what {@link MlopsPlatform} can set once for every object it creates. */
export interface WorkloadMetadataOptions {
  /**
   * Extra labels on every object the construct creates and on its pods. Keys the library owns
   * (`app.kubernetes.io/{name,instance,component,part-of,managed-by}`, `mlops.cdktf.io/*`,
   * `pod-security.kubernetes.io/*`) are refused.
   * @default - none
   */
  readonly labels?: Record<string, string>;
  /**
   * Extra annotations on every object the construct creates and on its pods (`mlops.cdktf.io/*` is the library's).
   * @default - none
   */
  readonly annotations?: Record<string, string>;
  /**
   * Secrets (type `kubernetes.io/dockerconfigjson`) the pods pull their images with.
   * @default - none
   */
  readonly imagePullSecrets?: string[];
}

/** Options every workload construct takes: metadata, env from Secrets, sidecars, volumes and placement. */
export interface WorkloadOptions extends WorkloadMetadataOptions {
  /** Extra labels on the pods only. @default - none */
  readonly podLabels?: Record<string, string>;
  /** Extra annotations on the pods only (e.g. a service mesh's). @default - none */
  readonly podAnnotations?: Record<string, string>;
  /**
   * Extra environment variables of the workload's own containers. A name the library sets is refused.
   * @default - none
   */
  readonly env?: Record<string, string>;
  /**
   * Environment variables from keys of existing Secrets, e.g. `{ API_TOKEN: { secretName: 'acme', key: 'token' } }`.
   * @default - none
   */
  readonly secretEnv?: Record<string, SecretEnvValue>;
  /** Extra volumes of the pods. @default - none */
  readonly volumes?: WorkloadVolume[];
  /** Mounts of `volumes` in the workload's own containers. @default - none */
  readonly volumeMounts?: WorkloadVolumeMount[];
  /** Extra containers (proxies, log shippers), with the pod's security settings. @default - none */
  readonly sidecars?: SidecarOptions[];
  /** Node selector, merged with any the library sets. @default - none */
  readonly nodeSelector?: Record<string, string>;
  /** Tolerations, added to any the library sets. @default - none */
  readonly tolerations?: Toleration[];
  /** PriorityClass of the pods. @default - the cluster's default */
  readonly priorityClassName?: string;
}

const RESERVED_LABELS = ['app.kubernetes.io/name', 'app.kubernetes.io/instance', 'app.kubernetes.io/component', 'app.kubernetes.io/part-of', 'app.kubernetes.io/managed-by'];
const RESERVED_PREFIXES = ['mlops.cdktf.io/', 'pod-security.kubernetes.io/'];
const reservedKey = (k: string) => RESERVED_LABELS.includes(k) || RESERVED_PREFIXES.some((p) => k.startsWith(p));
const userLabels = labelsSchema.superRefine((labels, ctx) => {
  for (const k of Object.keys(labels)) if (reservedKey(k)) ctx.addIssue({ code: 'custom', path: [k], message: `is a label the library sets (${RESERVED_LABELS.join(', ')}, ${RESERVED_PREFIXES.map((p) => p + '*').join(', ')}); use a key of your own, e.g. "example.com/team"` });
});
const userAnnotations = annotationsSchema.superRefine((a, ctx) => {
  for (const k of Object.keys(a)) if (k.startsWith('mlops.cdktf.io/')) ctx.addIssue({ code: 'custom', path: [k], message: 'is an annotation the library sets (mlops.cdktf.io/*); use a key of your own' });
});
const absPath = z.string().refine((v) => /^\/[^:]*$/.test(v) && noDotDot(v), { message: 'must be an absolute path without ".." or ":", e.g. "/etc/acme"' });
const secretEnvValue = z.strictObject({ secretName: k8sName, key: z.string().regex(/^[-._a-zA-Z0-9]+$/, { message: 'must be a Secret key: letters, digits, "-", "_" and "."' }), optional: z.boolean().optional() });
const mount = z.strictObject({ volume: k8sName, mountPath: absPath, readOnly: z.boolean().optional(), subPath: z.string().refine((v) => !v.startsWith('/') && noDotDot(v), { message: 'must be a relative path without ".."' }).optional() });
const volume = z
  .strictObject({
    name: k8sName,
    secret: z.strictObject({ secretName: k8sName, optional: z.boolean().optional() }).optional(),
    configMap: z.strictObject({ name: k8sName, optional: z.boolean().optional() }).optional(),
    emptyDir: z.strictObject({ sizeLimit: memoryQuantity.optional(), medium: z.literal('Memory').optional() }).optional(),
    persistentVolumeClaim: z.strictObject({ claimName: k8sName, readOnly: z.boolean().optional() }).optional(),
  })
  .refine((v) => [v.secret, v.configMap, v.emptyDir, v.persistentVolumeClaim].filter((s) => s !== undefined).length === 1, {
    message: 'must have exactly one source: secret, configMap, emptyDir or persistentVolumeClaim',
  });
const port = z.number().int({ message: 'must be a whole number' }).min(1024, { message: 'must be 1024 or more (pods run as non-root)' }).max(65535, { message: 'must be at most 65535' });
const probeTiming = z.strictObject({
  initialDelaySeconds: z.number().int().min(0).optional(),
  periodSeconds: z.number().int().min(1).optional(),
  timeoutSeconds: z.number().int().min(1).optional(),
  failureThreshold: z.number().int().min(1).optional(),
}).optional();
const probePort = z.union([port, z.string().regex(/^[a-z0-9]([-a-z0-9]{0,13}[a-z0-9])?$/, { message: 'must be a port number or name' })]);
const probe = z.union([
  z.strictObject({ httpGet: z.strictObject({ path: z.string().regex(/^\//, { message: 'must start with "/"' }), port: probePort }), timing: probeTiming }),
  z.strictObject({ exec: z.array(z.string()).min(1), timing: probeTiming }),
  z.strictObject({ tcpPort: probePort, timing: probeTiming }),
], { message: 'must be a probe: { httpGet: { path, port } }, { exec: [...] } or { tcpPort }' });
const sidecar = z.strictObject({
  name: k8sName,
  image: imageRef,
  command: z.array(z.string()).optional(),
  args: z.array(z.string()).optional(),
  env: z.record(envVarName, z.string()).optional(),
  secretEnv: z.record(envVarName, secretEnvValue).optional(),
  ports: z.array(z.strictObject({ name: z.string().regex(/^[a-z0-9]([-a-z0-9]{0,13}[a-z0-9])?$/, { message: 'must be a port name: at most 15 lowercase letters, digits and "-"' }), containerPort: port })).optional(),
  resources: resourcesSchema.optional(),
  volumeMounts: z.array(mount).optional(),
  writablePaths: z.array(absPath).optional(),
  startupProbe: probe.optional(),
  readinessProbe: probe.optional(),
  livenessProbe: probe.optional(),
});

/** The zod fields of {@link WorkloadMetadataOptions}, for the platform's defaults. @internal */
export const workloadMetadataShape = {
  labels: userLabels.optional(),
  annotations: userAnnotations.optional(),
  imagePullSecrets: z.array(k8sName).optional(),
};

/** The zod fields of {@link WorkloadOptions}; each workload's schema extends its own with them. @internal */
export const workloadOptionsShape = {
  ...workloadMetadataShape,
  podLabels: userLabels.optional(),
  podAnnotations: userAnnotations.optional(),
  env: z.record(envVarName, z.string()).optional(),
  secretEnv: z.record(envVarName, secretEnvValue).optional(),
  volumes: z.array(volume).optional(),
  volumeMounts: z.array(mount).optional(),
  sidecars: z.array(sidecar).optional(),
  nodeSelector: labelsSchema.optional(),
  tolerations: z.array(tolerationSchema).optional(),
  priorityClassName: k8sName.optional(),
};

/** The workload options with the platform's defaults merged under them (the workload's own win). */
export function withDefaults(own: WorkloadOptions, defaults: WorkloadMetadataOptions | undefined): WorkloadOptions {
  if (!defaults) return own;
  return {
    ...own,
    labels: { ...defaults.labels, ...own.labels },
    annotations: { ...defaults.annotations, ...own.annotations },
    imagePullSecrets: [...new Set([...(defaults.imagePullSecrets ?? []), ...(own.imagePullSecrets ?? [])])],
  };
}

/** Pod template labels: the library's, plus the user's (`labels`, then `podLabels`). */
export function podTemplateLabels(w: WorkloadOptions, library: Record<string, string>): Record<string, string> {
  return { ...w.labels, ...w.podLabels, ...library };
}

/** Pod template annotations (`annotations`, then `podAnnotations`), or undefined when there are none. */
export function podTemplateAnnotations(w: WorkloadOptions, library: Record<string, string> = {}): Record<string, string> | undefined {
  const all = { ...w.annotations, ...w.podAnnotations, ...library };
  return Object.keys(all).length ? all : undefined;
}

/** `secretEnv` as Kubernetes env entries. */
export function secretEnvVars(secretEnv: Record<string, SecretEnvValue> | undefined): EnvVar[] {
  return Object.entries(secretEnv ?? {}).map(([name, s]) => ({ name, valueFrom: { secretKeyRef: { name: s.secretName, key: s.key, optional: s.optional } } }));
}

/** What of the options the construct applies itself (e.g. a TrainingJob puts `env` on some steps only). */
export interface AppliedByConstruct {
  readonly env?: boolean;
  readonly tolerations?: boolean;
  readonly nodeSelector?: boolean;
  /** Prefix of the prop paths in errors, e.g. `canary.judge.` when the options are nested. @default '' */
  readonly propPrefix?: string;
}

/**
 * `opts` with the workload options added: env, secret env and volume mounts on the library's
 * containers, sidecars after them, extra volumes, pull secrets and placement. Refuses (naming both
 * sides) a sidecar or volume named like the library's, a mount path over one the library mounts,
 * an env name the library sets, and a node-selector key the library sets to another value.
 */
export function applyWorkloadOptions(opts: PodOptions, w: WorkloadOptions, at: string, applied: AppliedByConstruct = {}): PodOptions {
  const fail = (path: string, propPath: string, message: string): never => failAt(path, (applied.propPrefix ?? '') + propPath, message);
  const library = [...(opts.initContainers ?? []), ...opts.containers];
  const libraryVolumes = new Set((opts.volumes ?? []).map((v) => v.name));
  const libraryPaths = library.flatMap((c) => [...(c.volumeMounts ?? []).map((m) => ({ path: m.mountPath, container: c.name })), ...(c.writablePaths ?? []).map((path) => ({ path, container: c.name }))]);
  const userVolumes = new Set<string>();
  (w.volumes ?? []).forEach((v, i) => {
    if (libraryVolumes.has(v.name) || /^scratch-\d+$/.test(v.name) || /^sidecar-/.test(v.name)) fail(at, `volumes[${i}].name`, `got ${JSON.stringify(v.name)}; the library names a volume of this pod so (${[...libraryVolumes].join(', ') || 'none'}, scratch-<n>, sidecar-*); choose another name`);
    if (userVolumes.has(v.name)) fail(at, `volumes[${i}].name`, `got ${JSON.stringify(v.name)} twice; give each volume its own name`);
    userVolumes.add(v.name);
  });
  const mountsOf = (mounts: WorkloadVolumeMount[] | undefined, prop: string) =>
    (mounts ?? []).map((m, i) => {
      if (!userVolumes.has(m.volume)) fail(at, `${prop}[${i}].volume`, `got ${JSON.stringify(m.volume)}; mount a volume of volumes (${[...userVolumes].join(', ') || 'none given'})`);
      const clash = libraryPaths.find((l) => overlaps(l.path, m.mountPath));
      if (clash) fail(at, `${prop}[${i}].mountPath`, `got ${JSON.stringify(m.mountPath)}; it overlaps ${JSON.stringify(clash.path)}, which the library mounts in container "${clash.container}"; choose a path outside it`);
      return { name: m.volume, mountPath: m.mountPath, readOnly: m.readOnly ?? true, subPath: m.subPath };
    });

  const libraryEnv = new Map<string, string>();
  for (const c of library) for (const e of c.env ?? []) libraryEnv.set(e.name, c.name);
  const ownEnv: EnvVar[] = [];
  if (!applied.env) {
    for (const [name, value] of Object.entries(w.env ?? {})) ownEnv.push({ name, value });
    ownEnv.push(...secretEnvVars(w.secretEnv));
    for (const e of ownEnv) {
      const holder = libraryEnv.get(e.name);
      if (holder) fail(at, `${w.env && e.name in w.env ? 'env' : 'secretEnv'}.${e.name}`, `${e.name} is set by the library on container "${holder}"; remove it or use another name`);
    }
    for (const n of Object.keys(w.secretEnv ?? {})) if (w.env && n in w.env) fail(at, `secretEnv.${n}`, `${n} is also in env; give each variable once`);
  }
  const ownMounts = mountsOf(w.volumeMounts, 'volumeMounts');
  const names = new Set(library.map((c) => c.name));
  const sidecarVolumes: Volume[] = [];
  if (w.sidecars?.length && opts.automountServiceAccountToken) {
    // Kubernetes mounts the token into every container of the pod: a sidecar would get the workload's API access.
    fail(at, 'sidecars', `got ${w.sidecars.length} sidecar(s); this pod mounts a service-account token to call the Kubernetes API (${library.map((c) => c.name).join(', ')}), and every container of the pod would get it; run the sidecar's work elsewhere`);
  }
  const sidecars: ContainerOptions[] = (w.sidecars ?? []).map((s, i) => {
    if (names.has(s.name)) fail(at, `sidecars[${i}].name`, `got ${JSON.stringify(s.name)}; the pod already has a container of that name (${[...names].join(', ')}); choose another`);
    names.add(s.name);
    const scratch = (s.writablePaths ?? []).map((path, j) => {
      const name = `sidecar-${i}-scratch-${j}`;
      sidecarVolumes.push({ name, emptyDir: { sizeLimit: '256Mi' } });
      return { name, mountPath: path };
    });
    const mounts = [...mountsOf(s.volumeMounts, `sidecars[${i}].volumeMounts`), ...scratch];
    return {
      name: s.name,
      image: s.image,
      command: s.command,
      args: s.args,
      env: [...Object.entries(s.env ?? {}).map(([name, value]) => ({ name, value })), ...secretEnvVars(s.secretEnv)],
      ports: s.ports,
      resources: s.resources ?? { cpu: '50m', memory: '64Mi' },
      startupProbe: s.startupProbe,
      readinessProbe: s.readinessProbe,
      livenessProbe: s.livenessProbe,
      volumeMounts: mounts.length ? mounts : undefined,
    };
  });

  const nodeSelector = { ...opts.nodeSelector };
  if (!applied.nodeSelector) {
    for (const [k, v] of Object.entries(w.nodeSelector ?? {})) {
      if (k in nodeSelector && nodeSelector[k] !== v) fail(at, `nodeSelector.${k}`, `got ${JSON.stringify(v)}; the library selects ${JSON.stringify(nodeSelector[k])} for this key`);
      nodeSelector[k] = v;
    }
  }
  const withOwn = (c: ContainerOptions): ContainerOptions =>
    ownEnv.length || ownMounts.length ? { ...c, env: [...(c.env ?? []), ...ownEnv], volumeMounts: [...(c.volumeMounts ?? []), ...ownMounts] } : c;
  const extraVolumes: Volume[] = (w.volumes ?? []).map(volumeOf);
  return {
    ...opts,
    initContainers: opts.initContainers?.map(withOwn),
    containers: [...opts.containers.map(withOwn), ...sidecars],
    volumes: [...(opts.volumes ?? []), ...extraVolumes, ...sidecarVolumes],
    nodeSelector: Object.keys(nodeSelector).length ? nodeSelector : undefined,
    tolerations: applied.tolerations || !w.tolerations?.length ? opts.tolerations : [...(opts.tolerations ?? []), ...w.tolerations],
    imagePullSecrets: [...(opts.imagePullSecrets ?? []), ...(w.imagePullSecrets ?? [])],
    priorityClassName: w.priorityClassName ?? opts.priorityClassName,
  };
}

function overlaps(a: string, b: string): boolean {
  const x = a.replace(/\/+$/, '') || '/';
  const y = b.replace(/\/+$/, '') || '/';
  return x === y || x.startsWith(y === '/' ? '/' : y + '/') || y.startsWith(x === '/' ? '/' : x + '/');
}

function volumeOf(v: WorkloadVolume): Volume {
  if (v.secret) return { name: v.name, secret: { secretName: v.secret.secretName, optional: v.secret.optional, defaultMode: '0400' } };
  if (v.configMap) return { name: v.name, configMap: { name: v.configMap.name, optional: v.configMap.optional, defaultMode: '0444' } };
  if (v.emptyDir) return { name: v.name, emptyDir: { sizeLimit: v.emptyDir.sizeLimit, medium: v.emptyDir.medium } };
  return { name: v.name, persistentVolumeClaim: { claimName: v.persistentVolumeClaim!.claimName, readOnly: v.persistentVolumeClaim!.readOnly } };
}
