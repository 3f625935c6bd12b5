/**
 * The pod spec types of the public API: the part of the kubernetes provider's
 * pod template that the library builds and takes, declared here as plain
 * interfaces. The provider's own types come with about 800 KB of typings per
 * workload kind, which every consumer's type-check would load; these are
 * assignable to the pod template of a Deployment, StatefulSet, Job and CronJob
 * (the constructs pass them there, so the compiler checks it).
 */

/** A pod, as {@link buildPodSpec} builds it. */
export interface PodSpec {
  readonly serviceAccountName?: string;
  readonly automountServiceAccountToken?: boolean;
  readonly enableServiceLinks?: boolean;
  readonly restartPolicy?: string;
  readonly nodeSelector?: { [key: string]: string };
  readonly toleration?: Toleration[];
  readonly affinity?: Affinity;
  readonly topologySpreadConstraint?: TopologySpread[];
  readonly terminationGracePeriodSeconds?: number;
  readonly subdomain?: string;
  readonly securityContext?: PodSecurityContext;
  readonly initContainer?: Container[];
  readonly container?: Container[];
  readonly volume?: Volume[];
  readonly imagePullSecrets?: { readonly name: string }[];
  readonly priorityClassName?: string;
}

/** Pod-level security settings. */
export interface PodSecurityContext {
  readonly fsGroup?: string;
  readonly fsGroupChangePolicy?: string;
  readonly runAsGroup?: string;
  readonly runAsNonRoot?: boolean;
  readonly runAsUser?: string;
  readonly supplementalGroups?: number[];
  readonly seccompProfile?: SeccompProfile;
}

export interface SeccompProfile {
  readonly type?: string;
  readonly localhostProfile?: string;
}

/** One container of a {@link PodSpec}. */
export interface Container {
  readonly name: string;
  readonly image?: string;
  readonly imagePullPolicy?: string;
  readonly command?: string[];
  readonly args?: string[];
  readonly workingDir?: string;
  readonly env?: EnvVar[];
  readonly envFrom?: EnvFrom[];
  readonly port?: ContainerPort[];
  readonly resources?: { readonly limits?: { [key: string]: string }; readonly requests?: { [key: string]: string } };
  readonly startupProbe?: Probe;
  readonly readinessProbe?: Probe;
  readonly livenessProbe?: Probe;
  readonly volumeMount?: VolumeMount[];
  readonly lifecycle?: { readonly preStop?: { readonly exec?: { readonly command?: string[] } }[] };
  readonly securityContext?: ContainerSecurityContext;
}

export interface ContainerPort {
  readonly containerPort: number;
  readonly name?: string;
  readonly protocol?: string;
}

/** Environment of a container taken whole from a Secret or ConfigMap. */
export interface EnvFrom {
  readonly prefix?: string;
  readonly secretRef?: { readonly name: string; readonly optional?: boolean };
  readonly configMapRef?: { readonly name: string; readonly optional?: boolean };
}

export interface Probe {
  readonly failureThreshold?: number;
  readonly initialDelaySeconds?: number;
  readonly periodSeconds?: number;
  readonly successThreshold?: number;
  readonly timeoutSeconds?: number;
  readonly exec?: { readonly command?: string[] };
  readonly httpGet?: { readonly host?: string; readonly path?: string; readonly port?: string; readonly scheme?: string };
  readonly tcpSocket?: { readonly port: string }[];
}

export interface ContainerSecurityContext {
  readonly allowPrivilegeEscalation?: boolean;
  readonly privileged?: boolean;
  readonly readOnlyRootFilesystem?: boolean;
  readonly runAsGroup?: string;
  readonly runAsNonRoot?: boolean;
  readonly runAsUser?: string;
  readonly capabilities?: { readonly add?: string[]; readonly drop?: string[] };
  readonly seccompProfile?: SeccompProfile;
}

/** An environment variable: a value, or a reference to a Secret key, ConfigMap key or pod field. */
export interface EnvVar {
  readonly name: string;
  readonly value?: string;
  readonly valueFrom?: {
    readonly secretKeyRef?: KeyRef;
    readonly configMapKeyRef?: KeyRef;
    readonly fieldRef?: { readonly apiVersion?: string; readonly fieldPath?: string };
    readonly resourceFieldRef?: { readonly containerName?: string; readonly divisor?: string; readonly resource: string };
  };
}

export interface KeyRef {
  readonly name?: string;
  readonly key?: string;
  readonly optional?: boolean;
}

/** A volume of a pod: a ConfigMap, Secret, PersistentVolumeClaim or emptyDir. */
export interface Volume {
  readonly name?: string;
  readonly configMap?: { readonly name?: string; readonly defaultMode?: string; readonly optional?: boolean; readonly items?: KeyToPath[] };
  readonly secret?: { readonly secretName?: string; readonly defaultMode?: string; readonly optional?: boolean; readonly items?: KeyToPath[] };
  readonly persistentVolumeClaim?: { readonly claimName?: string; readonly readOnly?: boolean };
  readonly emptyDir?: { readonly medium?: string; readonly sizeLimit?: string };
}

export interface KeyToPath {
  readonly key?: string;
  readonly mode?: string;
  readonly path?: string;
}

export interface VolumeMount {
  readonly name: string;
  readonly mountPath: string;
  readonly readOnly?: boolean;
  readonly subPath?: string;
  readonly mountPropagation?: string;
}

export interface Toleration {
  readonly key?: string;
  readonly operator?: string;
  readonly value?: string;
  readonly effect?: string;
  readonly tolerationSeconds?: string;
}

export interface LabelSelector {
  readonly matchLabels?: { [key: string]: string };
  readonly matchExpressions?: SelectorRequirement[];
}

export interface SelectorRequirement {
  readonly key?: string;
  readonly operator?: string;
  readonly values?: string[];
}

export interface TopologySpread {
  readonly maxSkew?: number;
  readonly minDomains?: number;
  readonly topologyKey?: string;
  readonly whenUnsatisfiable?: string;
  readonly matchLabelKeys?: string[];
  readonly nodeAffinityPolicy?: string;
  readonly nodeTaintsPolicy?: string;
  readonly labelSelector?: LabelSelector[];
}

export interface Affinity {
  readonly nodeAffinity?: NodeAffinity;
  readonly podAffinity?: PodAffinity;
  readonly podAntiAffinity?: PodAffinity;
}

export interface NodeAffinity {
  readonly requiredDuringSchedulingIgnoredDuringExecution?: { readonly nodeSelectorTerm?: NodeSelectorTerm[] };
  readonly preferredDuringSchedulingIgnoredDuringExecution?: { readonly weight: number; readonly preference: NodeSelectorTerm }[];
}

export interface NodeSelectorTerm {
  readonly matchExpressions?: SelectorRequirement[];
}

export interface PodAffinity {
  readonly requiredDuringSchedulingIgnoredDuringExecution?: PodAffinityTerm[];
  readonly preferredDuringSchedulingIgnoredDuringExecution?: { readonly weight: number; readonly podAffinityTerm: PodAffinityTerm }[];
}

export interface PodAffinityTerm {
  readonly topologyKey: string;
  readonly namespaces?: string[];
  readonly labelSelector?: LabelSelector[];
  readonly namespaceSelector?: LabelSelector[];
}
