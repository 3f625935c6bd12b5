import { describe, expect, it } from 'vitest';
import type { DeploymentV1SpecTemplateSpec } from '@cdktf/provider-kubernetes/lib/deployment-v1';
import type { JobV1SpecTemplateSpec } from '@cdktf/provider-kubernetes/lib/job-v1';
import type { CronJobV1SpecJobTemplateSpecTemplateSpec } from '@cdktf/provider-kubernetes/lib/cron-job-v1';
import type { StatefulSetV1SpecTemplateSpec } from '@cdktf/provider-kubernetes/lib/stateful-set-v1';
import { buildPodSpec, type PodSpec } from '../../lib/core/workload';

const base = () =>
  buildPodSpec({
    containers: [{ name: 'app', image: 'x:1', resources: { cpu: '100m', memory: '128Mi' }, writablePaths: ['/tmp', '/cache'] }],
    initContainers: [{ name: 'init', image: 'x:1', resources: { cpu: '100m', memory: '64Mi' }, writablePaths: ['/tmp'] }],
  });

describe('buildPodSpec', () => {
  it('applies the secure defaults to every container and the pod', () => {
    const pod = base();
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.securityContext).toEqual({
      runAsNonRoot: true,
      runAsUser: '10001',
      runAsGroup: '10001',
      fsGroup: '10001',
      fsGroupChangePolicy: 'OnRootMismatch',
      seccompProfile: { type: 'RuntimeDefault' },
    });
    // Each container holds what exists only per container and inherits the rest from the pod.
    for (const c of [...(pod.container as any[]), ...(pod.initContainer as any[])]) {
      expect(c.securityContext).toEqual({
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
        capabilities: { drop: ['ALL'], add: undefined },
      });
    }
  });

  it('sets requests and a memory limit equal to the request by default, and no CPU limit', () => {
    const [c] = base().container as any[];
    expect(c.resources).toEqual({ requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '128Mi' } });
  });

  it('gives each writable path an emptyDir, shared between containers that name the same path', () => {
    const pod = base();
    const volumes = pod.volume as any[];
    expect(volumes.map((v) => v.name)).toEqual(['scratch-0', 'scratch-1']);
    const [app] = pod.container as any[];
    const [init] = pod.initContainer as any[];
    expect(app.volumeMount).toEqual([{ name: 'scratch-0', mountPath: '/tmp' }, { name: 'scratch-1', mountPath: '/cache' }]);
    expect(init.volumeMount).toEqual([{ name: 'scratch-0', mountPath: '/tmp' }]);
  });

  it('sets GPUs as requests and limits', () => {
    const pod = buildPodSpec({ containers: [{ name: 'a', image: 'x:1', resources: { cpu: '1', memory: '1Gi', gpus: 2 } }] });
    expect((pod.container as any[])[0].resources.limits['nvidia.com/gpu']).toBe('2');
  });

  it('applies documented opt-outs, and only those', () => {
    const pod = buildPodSpec({
      security: { readOnlyRootFilesystem: false, runAsUser: 999, addCapabilities: ['NET_BIND_SERVICE'] },
      automountServiceAccountToken: true,
      containers: [{ name: 'a', image: 'x:1', resources: { cpu: '1', memory: '1Gi' } }],
    });
    const sc = (pod.container as any[])[0].securityContext;
    expect(sc.readOnlyRootFilesystem).toBe(false);
    expect(pod.securityContext).toMatchObject({ runAsUser: '999', runAsGroup: '999', fsGroup: '999' });
    expect(sc.capabilities).toEqual({ drop: ['ALL'], add: ['NET_BIND_SERVICE'] });
    expect(sc.allowPrivilegeEscalation).toBe(false);
    expect(pod.automountServiceAccountToken).toBe(true);
  });

  it('produces a pod spec every workload kind accepts (type-level check)', () => {
    // PodSpec is the library's own type (lib/core/pod-spec.ts), so each provider kind is checked, the Deployment too.
    const pod: PodSpec = base();
    const deployment: DeploymentV1SpecTemplateSpec = pod;
    const job: JobV1SpecTemplateSpec = pod;
    const cron: CronJobV1SpecJobTemplateSpecTemplateSpec = pod;
    const sts: StatefulSetV1SpecTemplateSpec = pod;
    expect([deployment, job, cron, sts].every((p) => p === pod)).toBe(true);
  });
});

describe('drain before stop', () => {
  it('waits with a preStop sleep when asked, and not otherwise', () => {
    const pod = buildPodSpec({
      containers: [
        { name: 'a', image: 'x:1', resources: { cpu: '1', memory: '1Gi' }, drainSeconds: 5 },
        { name: 'b', image: 'x:1', resources: { cpu: '1', memory: '1Gi' } },
      ],
    });
    const [a, b] = pod.container as any[];
    expect(a.lifecycle).toEqual({ preStop: [{ exec: { command: ['sleep', '5'] } }] });
    expect(b.lifecycle).toBeUndefined();
  });
});
