import { Construct } from 'constructs';
import { DeploymentV1 } from '@cdktf/provider-kubernetes/lib/deployment-v1';
import {
  HorizontalPodAutoscalerV2,
  type HorizontalPodAutoscalerV2SpecMetric,
} from '@cdktf/provider-kubernetes/lib/horizontal-pod-autoscaler-v2';
import { VARIANT_LABEL } from '../core/observability';
import type { PodSpec } from '../core/workload';
import { z } from 'zod';
import { parseProps } from '../core/props';
import { implementing, k8sName, labelsSchema, annotationsSchema, nonNegativeInt } from '../core/validators';
import { Token } from '../core/cdktf';
import type { WorkloadResource } from '../core/workload-resource';

/** The two versions a model may run at once. */
export type VariantName = 'stable' | 'canary';

/** `labels` narrowed to one variant (its selector, object labels and pod labels all start from this). */
export function withVariant(labels: Record<string, string>, variant: VariantName): Record<string, string> {
  return { ...labels, [VARIANT_LABEL]: variant };
}

/** How the HPA of a variant scales. */
export interface VariantAutoscaling {
  readonly minReplicas: number;
  readonly maxReplicas: number;
  readonly metrics: HorizontalPodAutoscalerV2SpecMetric[];
  readonly scaleUpStabilizationSeconds: number;
  readonly scaleUpPodsPerMinute: number;
  readonly scaleUpPercentPerMinute: number;
  readonly scaleDownStabilizationSeconds: number;
  readonly scaleDownPercentPerMinute: number;
}

/** Properties of a {@link ModelVariant}. */
export interface ModelVariantProps {
  readonly namespace: string;
  /** Name of the Deployment and HPA. */
  readonly name: string;
  /** Object labels. */
  readonly labels: Record<string, string>;
  /** Immutable Deployment selector; also the topology-spread selector. */
  readonly selector: Record<string, string>;
  /** Pod template labels (a superset of the selector). */
  readonly podLabels: Record<string, string>;
  readonly podSpec: PodSpec;
  /** Annotations of the Deployment object (not the pod template, so they never roll pods). */
  readonly annotations?: Record<string, string>;
  /** Fixed replica count; ignored when `autoscaling` is given. */
  readonly replicas: number;
  readonly autoscaling?: VariantAutoscaling;
  readonly waitForRollout: boolean;
  /**
   * The canary judge scales this Deployment (0 while there is no challenger): it starts at zero
   * and Terraform ignores its replica count.
   * @default false
   */
  readonly scaledByJudge?: boolean;
}

/**
 * One variant (stable or canary) of a served model: a Deployment with
 * zero-downtime rolling updates and its HorizontalPodAutoscaler (the model's
 * PodDisruptionBudget covers both variants). Internal to {@link ModelDeployment}.
 */
const nameOrToken = z.union([z.string().refine((v) => Token.isUnresolved(v)), k8sName], { message: 'must be an RFC 1123 label (or a token resolving to one)' });
const count = nonNegativeInt;
const schema = z.strictObject({
  namespace: nameOrToken,
  name: k8sName,
  labels: labelsSchema,
  selector: labelsSchema,
  podLabels: labelsSchema,
  podSpec: implementing<PodSpec>('pod spec from buildPodSpec', [], ['container']),
  annotations: annotationsSchema.optional(),
  replicas: count,
  // Loose: ModelDeployment hands over its parsed autoscaling props, which carry the targets already turned into metrics.
  autoscaling: z.looseObject({
    minReplicas: count, maxReplicas: count, metrics: z.array(z.object({}).passthrough()),
    scaleUpStabilizationSeconds: count, scaleUpPodsPerMinute: count, scaleUpPercentPerMinute: count,
    scaleDownStabilizationSeconds: count, scaleDownPercentPerMinute: count,
  }).optional(),
  waitForRollout: z.boolean(),
  scaledByJudge: z.boolean().optional(),
});

export class ModelVariant extends Construct {
  public readonly deployment: WorkloadResource;
  public readonly autoscaler?: HorizontalPodAutoscalerV2;

  constructor(scope: Construct, id: string, props: ModelVariantProps) {
    super(scope, id);
    parseProps(schema, props, this);
    const { namespace, name, labels } = props;
    const hpa = props.autoscaling;
    this.deployment = new DeploymentV1(this, 'Resource', {
      metadata: { name, namespace, labels, annotations: props.annotations },
      spec: {
        // With an HPA the replica count is the HPA's: no value here, and Terraform ignores drift on it.
        replicas: props.scaledByJudge ? '0' : hpa ? undefined : String(props.replicas),
        revisionHistoryLimit: 5,
        progressDeadlineSeconds: 900,
        selector: { matchLabels: props.selector },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '0', maxSurge: '25%' } },
        template: { metadata: { labels: props.podLabels }, spec: props.podSpec },
      },
      waitForRollout: props.waitForRollout,
      lifecycle: hpa || props.scaledByJudge ? { ignoreChanges: ['spec[0].replicas'] } : undefined,
    });

    if (hpa) {
      this.autoscaler = new HorizontalPodAutoscalerV2(this, 'Autoscaler', {
        metadata: { name, namespace, labels },
        spec: {
          minReplicas: hpa.minReplicas,
          maxReplicas: hpa.maxReplicas,
          scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: this.deployment.metadata.name },
          metric: hpa.metrics,
          behavior: {
            scaleUp: [
              {
                stabilizationWindowSeconds: hpa.scaleUpStabilizationSeconds,
                selectPolicy: 'Max',
                policy: [
                  { type: 'Percent', value: hpa.scaleUpPercentPerMinute, periodSeconds: 60 },
                  { type: 'Pods', value: hpa.scaleUpPodsPerMinute, periodSeconds: 60 },
                ],
              },
            ],
            scaleDown: [
              {
                stabilizationWindowSeconds: hpa.scaleDownStabilizationSeconds,
                selectPolicy: 'Max',
                policy: [{ type: 'Percent', value: hpa.scaleDownPercentPerMinute, periodSeconds: 60 }],
              },
            ],
          },
        },
      });
    }
  }
}
