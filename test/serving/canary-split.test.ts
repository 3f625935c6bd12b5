import { describe, it, expect } from 'vitest';
import { canaryReplicaSplit } from '../../lib/serving/canary-split';

describe('canaryReplicaSplit', () => {
  const split = (weight: number, minStable = 2, maxStable = 10, maxCanary = 10) => canaryReplicaSplit({ weight, minStable, maxStable, maxCanary });

  it('hits exact ratios with the fewest pods', () => {
    expect(split(10)).toEqual({ stableReplicas: 9, canaryReplicas: 1, effectiveWeight: 10, error: 0 });
    expect(split(50)).toMatchObject({ stableReplicas: 2, canaryReplicas: 2, effectiveWeight: 50 });
    expect(split(25)).toMatchObject({ stableReplicas: 3, canaryReplicas: 1, effectiveWeight: 25 });
    expect(split(20)).toMatchObject({ stableReplicas: 4, canaryReplicas: 1 });
    expect(split(30)).toMatchObject({ stableReplicas: 7, canaryReplicas: 3, effectiveWeight: 30 });
  });

  it('respects the bounds and reports the closest share', () => {
    // 5 % needs 19 stable pods; 10 is the most.
    const s = split(5);
    expect(s).toMatchObject({ stableReplicas: 10, canaryReplicas: 1, effectiveWeight: 9.1 });
    expect(s.error).toBeCloseTo(4.09, 2);
    expect(split(5, 2, 19)).toMatchObject({ stableReplicas: 19, canaryReplicas: 1, effectiveWeight: 5, error: 0 });
    // At least minStable stable pods: 50 % with minStable 4 uses 4:4.
    expect(split(50, 4)).toMatchObject({ stableReplicas: 4, canaryReplicas: 4 });
    // Canary capped at 1 pod: 40 % becomes 1 of 3 (33.3 %) — no closer with one canary pod and at least 2 stable.
    expect(split(40, 2, 10, 1)).toMatchObject({ stableReplicas: 2, canaryReplicas: 1, effectiveWeight: 33.3 });
  });

  it('cannot go below one canary pod or above maxStable/(maxStable+1)', () => {
    expect(split(0).canaryReplicas).toBe(1);
    expect(split(100)).toMatchObject({ stableReplicas: 2, canaryReplicas: 10, effectiveWeight: 83.3 });
  });
});
