import type { IConstruct } from 'constructs';
import { Aspects, TerraformResource, type IAspect } from './cdktf';
import { ValidationError } from './errors';

/**
 * User labels and annotations on every Kubernetes object under a construct, and on the pod
 * templates of its Deployments, StatefulSets, Jobs and CronJobs: set once per workload
 * (`WorkloadOptions.labels`) or per platform (`MlopsPlatformProps.workloadDefaults`), they reach
 * the Services, ConfigMaps, ServiceAccounts, network policies and PDBs too, without every
 * construct threading them to every object. An aspect sets them on the resources' typed config
 * before synthesis, so the literal-string aspect escapes them like any other user string.
 *
 * A nested scope's values win over an enclosing one's (a model's labels over the platform's);
 * a key the library itself sets on an object is never overwritten (the props refuse the library's
 * prefixes, and a clash with any other library key is a ValidationError naming both).
 * `volumeClaimTemplate`s are left alone: they are immutable, so a new label would replace the
 * StatefulSet and its volume.
 */
export interface ObjectMetadata {
  /** On objects and pods. */
  readonly labels?: Record<string, string>;
  /** On objects and pods. */
  readonly annotations?: Record<string, string>;
  /** On pods only. */
  readonly podLabels?: Record<string, string>;
  /** On pods only. */
  readonly podAnnotations?: Record<string, string>;
}

type MetadataRef = {
  labelsInput?: Record<string, string>;
  annotationsInput?: Record<string, string>;
  labels: Record<string, string>;
  annotations: Record<string, string>;
};

/** Keys set by these aspects, per metadata block, so an inner scope may replace an outer scope's value. */
const userKeys = new WeakMap<object, Set<string>>();

const isMetadata = (v: unknown): v is MetadataRef => typeof v === 'object' && v !== null && 'labelsInput' in v && 'annotationsInput' in v;

function get(o: unknown, ...path: string[]): unknown {
  let cur = o;
  for (const seg of path) {
    if (typeof cur !== 'object' || cur === null || !(seg in cur)) return undefined;
    cur = (cur as Record<string, unknown>)[seg];
  }
  return cur;
}

class UserMetadata implements IAspect {
  constructor(private readonly meta: ObjectMetadata, private readonly owner: string) {}

  public visit(node: IConstruct): void {
    if (!(node instanceof TerraformResource) || !node.terraformResourceType.startsWith('kubernetes_')) return;
    const top = get(node, 'metadata');
    if (isMetadata(top)) this.merge(node, top, 'metadata', this.meta.labels, this.meta.annotations);
    const spec = get(node, 'spec');
    for (const path of [['template', 'metadata'], ['jobTemplate', 'spec', 'template', 'metadata']]) {
      // Only templates that exist: reading a block the resource has not set must not create it.
      const template = get(spec, ...path.slice(0, -1)) as { internalValue?: unknown } | undefined;
      if (!template?.internalValue) continue;
      const pod = get(spec, ...path);
      if (isMetadata(pod)) {
        this.merge(node, pod, `spec.${path.join('.')}`, { ...this.meta.labels, ...this.meta.podLabels }, { ...this.meta.annotations, ...this.meta.podAnnotations });
      }
    }
  }

  private merge(node: IConstruct, ref: MetadataRef, where: string, labels: Record<string, string> | undefined, annotations: Record<string, string> | undefined): void {
    let mine = userKeys.get(ref);
    if (!mine) userKeys.set(ref, (mine = new Set()));
    const apply = (kind: 'labels' | 'annotations', extra: Record<string, string> | undefined) => {
      if (!extra || !Object.keys(extra).length) return;
      const current = ref[`${kind}Input`];
      if (current !== undefined && (typeof current !== 'object' || current === null)) return; // a token map: the library's own, left as it is
      const merged = { ...current };
      for (const [k, v] of Object.entries(extra)) {
        const key = `${kind}\u0000${k}`;
        if (k in merged && merged[k] !== v && !mine.has(key)) {
          throw new ValidationError(this.owner, [{ propPath: `${kind}.${k}`, message: `got ${JSON.stringify(v)}; the library sets ${JSON.stringify(merged[k])} for this key on ${node.node.path} (${where}); use a key of your own` }]);
        }
        merged[k] = v;
        mine.add(key);
      }
      ref[kind] = merged;
    };
    apply('labels', labels);
    apply('annotations', annotations);
  }
}

/** Adds `meta` to every Kubernetes object (and pod template) under `scope`; `owner` is the construct path errors name. */
export function applyObjectMetadata(scope: IConstruct, meta: ObjectMetadata, owner: string = scope.node.path): void {
  const any = [meta.labels, meta.annotations, meta.podLabels, meta.podAnnotations].some((m) => m && Object.keys(m).length);
  if (any) Aspects.of(scope).add(new UserMetadata(meta, owner));
}
