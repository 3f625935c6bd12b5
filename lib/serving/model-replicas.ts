import type { HorizontalPodAutoscalerV2SpecMetric } from '@cdktf/provider-kubernetes/lib/horizontal-pod-autoscaler-v2';
import { fail } from '../core/errors';
import type { IMlopsPlatform } from '../core/platform-context';
import { canaryReplicaSplit } from './canary-split';
import type { VariantAutoscaling, VariantName } from './model-variant';
import type { ModelServer, ParsedModelProps } from './model-props';
import { RequestRateMetrics } from './request-rate-metrics';

/** Fewest and most pods of one variant. */
export interface ReplicaRange {
  readonly min: number;
  readonly max: number;
}

/** How many pods each variant runs, and the canary's resulting share of requests. */
export interface ReplicaPlan {
  readonly stable: ReplicaRange;
  readonly canary: ReplicaRange;
  /** Percent of requests the canary receives; undefined without a canary. */
  readonly canaryEffectiveWeight?: number;
}

/**
 * Replica counts. With a gateway the route splits requests exactly, so the
 * variants scale independently. Without one, pods of both variants share the
 * Service, so the canary's share is C / (S + C); with autoscaling both HPAs
 * keep that ratio at their minimum and scale their maximum in proportion
 * (each sees the same load per pod, so they grow together).
 */
export function planReplicas(p: ParsedModelProps, at: string): ReplicaPlan {
  const canary = p.canary;
  const unsplit = { stable: { min: p.minReplicas, max: p.maxReplicas }, canary: { min: 1, max: p.maxReplicas } };
  if (!canary) return unsplit;
  if (p.gateway) return { ...unsplit, canaryEffectiveWeight: canary.weight };

  const maxCanary = canary.maxReplicas ?? p.maxReplicas;
  const split = canaryReplicaSplit({ weight: canary.weight, minStable: p.minReplicas, maxStable: p.maxReplicas, maxCanary });
  if (split.error > canary.tolerance + 1e-9) {
    fail(at, 'canary.weight',
      `got ${canary.weight}; without a gateway the split follows the replica ratio, and within minReplicas ${p.minReplicas}, maxReplicas ${p.maxReplicas} and at most ${maxCanary} canary pods ` +
      `the closest achievable weight is ${split.effectiveWeight} (${split.stableReplicas} stable, ${split.canaryReplicas} canary), ` +
      `${round1(split.error)} points away, more than canary.tolerance (${canary.tolerance}). Use a weight near ${split.effectiveWeight}, raise maxReplicas or canary.maxReplicas, or give a gateway for exact weights`);
  }
  return {
    stable: { min: split.stableReplicas, max: Math.max(split.stableReplicas, p.maxReplicas) },
    canary: { min: split.canaryReplicas, max: Math.max(split.canaryReplicas, Math.ceil((p.maxReplicas * split.canaryReplicas) / split.stableReplicas)) },
    canaryEffectiveWeight: split.effectiveWeight,
  };
}

/**
 * The HPA of each variant, both undefined for fixed replicas. The request-rate
 * metric comes from prometheus-adapter, installed once per platform on first use.
 */
export function variantAutoscaling(p: ParsedModelProps, server: ModelServer, platform: IMlopsPlatform, plan: ReplicaPlan): Record<VariantName, VariantAutoscaling | undefined> {
  const autoscaling = server.autoscaling;
  if (!autoscaling) return { stable: undefined, canary: undefined };
  const metrics: HorizontalPodAutoscalerV2SpecMetric[] = [
    { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: autoscaling.cpuUtilization } } },
    { type: 'Resource', resource: { name: 'memory', target: { type: 'Utilization', averageUtilization: autoscaling.memoryUtilization } } },
  ];
  if (autoscaling.requestsPerSecond !== undefined) {
    const adapter = (p.requestRateMetrics as RequestRateMetrics | undefined) ?? RequestRateMetrics.of(platform);
    metrics.push({
      type: 'Pods',
      pods: { metric: { name: adapter.metricFor(server.metrics!.requestsTotal) }, target: { type: 'AverageValue', averageValue: String(autoscaling.requestsPerSecond) } },
    });
  }
  const hpaOf = (range: ReplicaRange): VariantAutoscaling => ({ ...autoscaling, minReplicas: range.min, maxReplicas: range.max, metrics });
  return { stable: hpaOf(plan.stable), canary: hpaOf(plan.canary) };
}

function round1(n: number): number {
  return Math.round(n * 10) / 10;
}
