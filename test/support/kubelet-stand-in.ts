import type { KubeApi } from './kube-api';

/**
 * STAND-IN for kube-scheduler and the kubelet, which cannot run here (a kubelet needs a container
 * runtime, and containers cannot run on this machine). Terraform waits for the rollout of the
 * in-cluster database's StatefulSet and of the tracking server's Deployment, so their pods must
 * become Ready for `apply` to end. Through the real API server, this loop does the two things those
 * components would do that the controllers and Terraform see:
 * - the scheduler: binds every unscheduled pod to one Node (`pods/binding`), without checking its
 *   requests or affinities (the only node satisfies a single-node affinity anyway);
 * - the kubelet: registers that Node as Ready, reports each bound pod Running with every container
 *   ready (`pods/status`), and removes a pod once it is being deleted, as a kubelet does when its
 *   containers have stopped.
 * Pods still come from the real controllers and pass the real admission chain (Pod Security among it):
 * the stand-in only acts on pods the API server accepted. Nothing runs; no container or probe is checked.
 */
export class KubeletStandIn {
  public static readonly NODE = 'apply-tier-node';
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  /** Errors of the loop (not of the objects under test), for assertion messages. */
  public readonly errors: string[] = [];

  constructor(private readonly api: KubeApi) {}

  public async start(): Promise<void> {
    await this.registerNode();
    this.timer = setInterval(() => {
      this.running ??= this.tick()
        .catch((err) => void this.errors.push(String(err)))
        .finally(() => (this.running = undefined));
    }, 1000);
  }

  public async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  private async registerNode(): Promise<void> {
    const name = KubeletStandIn.NODE;
    const labels = { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64' };
    const created = await this.api.call('POST', '/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name, labels } });
    if (created.status !== 201 && created.status !== 409) throw new Error(`create node: ${created.status} ${JSON.stringify(created.body)}`);
    const now = new Date().toISOString();
    // A kind node's size (README: a 4-CPU / 8-GiB node).
    const resources = { cpu: '4', memory: '8Gi', pods: '110', 'ephemeral-storage': '50Gi' };
    const status = await this.api.call('PATCH', `/api/v1/nodes/${name}/status`, {
      status: {
        capacity: resources,
        allocatable: resources,
        conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'stand-in kubelet', lastHeartbeatTime: now, lastTransitionTime: now }],
        nodeInfo: { kubeletVersion: 'v1.34.3', operatingSystem: 'linux', architecture: 'amd64', containerRuntimeVersion: 'stand-in://0', kernelVersion: '', osImage: '', machineID: '', systemUUID: '', bootID: '', kubeProxyVersion: '' },
      },
    }, 'application/merge-patch+json');
    if (status.status !== 200) throw new Error(`node status: ${status.status} ${JSON.stringify(status.body)}`);
  }

  private async tick(): Promise<void> {
    const pods = (await this.api.get('/api/v1/pods')).items as any[];
    for (const pod of pods) {
      const { namespace, name } = pod.metadata;
      const path = `/api/v1/namespaces/${namespace}/pods/${name}`;
      if (pod.metadata.deletionTimestamp) {
        await this.api.call('DELETE', `${path}?gracePeriodSeconds=0`);
      } else if (!pod.spec.nodeName) {
        await this.api.call('POST', `${path}/binding`, {
          apiVersion: 'v1', kind: 'Binding', metadata: { name, namespace }, target: { apiVersion: 'v1', kind: 'Node', name: KubeletStandIn.NODE },
        });
      } else if (!isReady(pod)) {
        await this.api.call('PATCH', `${path}/status`, { status: runningStatus(pod) }, 'application/merge-patch+json');
      }
    }
  }
}

function isReady(pod: any): boolean {
  return (pod.status?.conditions ?? []).some((c: any) => c.type === 'Ready' && c.status === 'True');
}

function runningStatus(pod: any): unknown {
  const now = new Date().toISOString();
  const condition = (type: string) => ({ type, status: 'True', lastTransitionTime: now });
  const container = (c: any, ready: boolean, state: unknown) => ({
    name: c.name, image: c.image, imageID: '', ready, restartCount: 0, started: ready, state,
  });
  return {
    phase: 'Running',
    startTime: now,
    conditions: ['PodScheduled', 'Initialized', 'ContainersReady', 'Ready'].map(condition),
    initContainerStatuses: (pod.spec.initContainers ?? []).map((c: any) =>
      container(c, false, { terminated: { exitCode: 0, reason: 'Completed', startedAt: now, finishedAt: now } })),
    containerStatuses: pod.spec.containers.map((c: any) => container(c, true, { running: { startedAt: now } })),
  };
}
