/**
 * Replica-ratio canary: without a Gateway, one Service selects the pods of
 * both variants, so the canary's share of requests is its share of ready pods,
 * C / (S + C). This module picks the pod counts that come closest to the
 * requested weight within the allowed replicas.
 */

/** What the split may use. */
export interface CanarySplitRequest {
  /** Requested share of traffic for the canary, in percent (0 < weight < 100). */
  readonly weight: number;
  /** Fewest stable pods (the stable minReplicas). */
  readonly minStable: number;
  /** Most stable pods (the stable maxReplicas). */
  readonly maxStable: number;
  /** Most canary pods. */
  readonly maxCanary: number;
}

/** The chosen pod counts. */
export interface CanarySplit {
  readonly stableReplicas: number;
  readonly canaryReplicas: number;
  /** The canary's share of pods, in percent, rounded to 0.1. */
  readonly effectiveWeight: number;
  /** |effectiveWeight - weight| in percentage points (unrounded). */
  readonly error: number;
}

/**
 * Smallest error first; among equal errors the fewest pods in total (cheapest),
 * then the fewest canary pods (least exposure).
 */
export function canaryReplicaSplit(req: CanarySplitRequest): CanarySplit {
  let best: { s: number; c: number; err: number } | undefined;
  const eps = 1e-9;
  for (let s = Math.max(1, req.minStable); s <= req.maxStable; s++) {
    for (let c = 1; c <= req.maxCanary; c++) {
      const err = Math.abs((100 * c) / (s + c) - req.weight);
      if (
        !best ||
        err < best.err - eps ||
        (Math.abs(err - best.err) <= eps && (s + c < best.s + best.c || (s + c === best.s + best.c && c < best.c)))
      ) {
        best = { s, c, err };
      }
    }
  }
  if (!best) throw new Error(`no replica split within stable ${req.minStable}..${req.maxStable}, canary 1..${req.maxCanary}`);
  return {
    stableReplicas: best.s,
    canaryReplicas: best.c,
    effectiveWeight: Math.round((1000 * best.c) / (best.s + best.c)) / 10,
    error: best.err,
  };
}
