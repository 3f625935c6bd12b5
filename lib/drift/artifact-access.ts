import { fail } from '../core/errors';
import type { IWorkloadIdentity } from '../core/identity';
import type { Affinity, EnvVar, Volume, VolumeMount } from '../core/workload';
import type { ArtifactAccess, ArtifactBinding, IArtifactStore } from '../stores/artifact-store';

/** What the drift check's pod needs from the artifact store. */
export interface DriftArtifactAccess {
  readonly env: EnvVar[];
  readonly volumes: Volume[];
  readonly volumeMounts: VolumeMount[];
  readonly podLabels: Record<string, string>;
  readonly affinity?: Affinity;
}

/** The paths the check reads and the one prefix it writes. */
export interface DriftArtifactPaths {
  /** Data files, read-only. */
  readonly readPaths: string[];
  /** Directory of reports and state, read-write; ends in "/". */
  readonly reportPrefix: string;
  /** Prefix of the grant ids, unique per drift monitor in the store. */
  readonly grantPrefix: string;
}

/**
 * Binds the store once per directory: read-only for the directories of the
 * data files, read-write only for the report prefix. Object stores turn each
 * binding into a grant on its prefix. A volume store mounts its whole volume,
 * and one volume cannot be mounted both read-only and read-write, so every
 * mount of a store path is narrowed to a `subPath` mount of its directory: the
 * pod sees the data directories read-only and the report directory
 * read-write, nothing else of the volume.
 */
export function artifactAccess(path: string, store: IArtifactStore, identity: IWorkloadIdentity, paths: DriftArtifactPaths): DriftArtifactAccess {
  const report = paths.reportPrefix;
  const readDirs = [...new Set(paths.readPaths.map((p) => p.slice(0, p.lastIndexOf('/') + 1)))].filter((d) => !(d && d.startsWith(report)));
  const requests: { prefix: string; access: ArtifactAccess; grantId: string }[] = [
    ...readDirs.map((prefix, i) => ({ prefix, access: 'read' as const, grantId: `${paths.grantPrefix}Read${i}` })),
    { prefix: report, access: 'readwrite', grantId: `${paths.grantPrefix}Report` },
  ];

  const env = new Map<string, EnvVar>();
  const volumes = new Map<string, Volume>();
  const mounts = new Map<string, VolumeMount>();
  let podLabels: Record<string, string> = {};
  let affinity: Affinity | undefined;
  for (const r of requests) {
    const binding: ArtifactBinding = store.bind({ identity, access: r.access, prefix: r.prefix || undefined, grantId: r.grantId });
    for (const e of binding.env) if (!env.has(e.name)) env.set(e.name, e);
    for (const v of binding.volumes) volumes.set(v.name ?? '', mergeVolume(volumes.get(v.name ?? ''), v));
    const storeVolumes = new Set(binding.volumes.map((v) => v.name ?? ''));
    for (const m of binding.volumeMounts) {
      const narrowed = storeVolumes.has(m.name ?? '') && r.prefix ? narrow(path, store, m, r.prefix) : m;
      const mount = { ...narrowed, readOnly: r.access === 'read' ? true : narrowed.readOnly };
      if (!mounts.has(mount.mountPath)) mounts.set(mount.mountPath, mount);
    }
    podLabels = { ...podLabels, ...binding.podLabels };
    affinity ??= binding.affinity;
  }
  return { env: [...env.values()], volumes: [...volumes.values()], volumeMounts: [...mounts.values()], podLabels, affinity };
}

/** A mount of the store root, turned into a mount of `prefix` only (at the path where the store says it is). */
function narrow(path: string, store: IArtifactStore, m: VolumeMount, prefix: string): VolumeMount {
  const target = store.uriOf(prefix).replace(/\/+$/, '');
  const root = m.mountPath.replace(/\/+$/, '');
  if (!target.startsWith(root + '/')) {
    // A mount that does not hold store paths (e.g. credentials) stays as it is.
    if (!target.startsWith('/')) return m;
    fail(path, 'reportPrefix', `the artifact store puts "${prefix}" at ${target}, outside its mount ${m.mountPath}; cannot limit the mount to that directory`);
  }
  return { ...m, mountPath: target, subPath: target.slice(root.length + 1) };
}

/** One volume for all bindings: a claim is writable when any binding writes (mounts keep the data read-only). */
function mergeVolume(a: Volume | undefined, b: Volume): Volume {
  if (!a) return b;
  if (a.persistentVolumeClaim && b.persistentVolumeClaim) {
    const readOnly = Boolean(a.persistentVolumeClaim.readOnly) && Boolean(b.persistentVolumeClaim.readOnly);
    return { ...a, persistentVolumeClaim: { ...a.persistentVolumeClaim, readOnly } };
  }
  return a;
}
