/** The `app.kubernetes.io/*` labels every object the library creates carries. */
export interface ComponentIdentity {
  /** `app.kubernetes.io/name`: the application, e.g. `mlflow` or `postgres`. */
  readonly name: string;
  /** `app.kubernetes.io/instance`: which installation, e.g. the platform name. */
  readonly instance: string;
  /** `app.kubernetes.io/component`: the role, e.g. `tracking-server`, `database`. */
  readonly component: string;
}

export const PART_OF = 'cdktf-mlops';
export const MANAGED_BY = 'cdktf';

/** All recommended labels, for object metadata and pod templates. */
export function standardLabels(id: ComponentIdentity, extra: Record<string, string> = {}): Record<string, string> {
  return {
    'app.kubernetes.io/name': id.name,
    'app.kubernetes.io/instance': id.instance,
    'app.kubernetes.io/component': id.component,
    'app.kubernetes.io/part-of': PART_OF,
    'app.kubernetes.io/managed-by': MANAGED_BY,
    ...extra,
  };
}

/**
 * The subset used in selectors. Selectors are immutable on Deployments and
 * StatefulSets, so they only hold labels that never change for a workload.
 */
export function selectorLabels(id: ComponentIdentity): Record<string, string> {
  return {
    'app.kubernetes.io/name': id.name,
    'app.kubernetes.io/instance': id.instance,
    'app.kubernetes.io/component': id.component,
  };
}

/** Label that marks pods allowed to call the tracking server (network policy). */
export const TRACKING_CLIENT_LABEL = 'mlops.cdktf.io/tracking-client';
/** Label that marks pods allowed to reach the object store (network policy). */
export const OBJECT_STORE_CLIENT_LABEL = 'mlops.cdktf.io/object-store-client';
