import { describe, expect, it } from 'vitest';
import { allContainers, resourcesOf } from '../../lib/testing';
import { synthExample } from '../support/app-synth';

// examples/local must come up on one kind node of 4 CPUs and 8 GiB (a laptop's Docker Desktop default).
// The scheduler places pods by their requests: ours must fit with room left for the charts' own pods
// (kube-prometheus-stack sets no requests by default) and the node's system pods.
const NODE = { cpu: 4, memoryGiB: 8 };
const RESERVED = { cpu: 1, memoryGiB: 2 };

function cpu(q: string | undefined): number {
  if (!q) return 0;
  return q.endsWith('m') ? Number(q.slice(0, -1)) / 1000 : Number(q);
}
function gib(q: string | undefined): number {
  if (!q) return 0;
  const units: Record<string, number> = { Ki: 2 ** -20, Mi: 2 ** -10, Gi: 1, Ti: 2 ** 10, k: 1e3 / 2 ** 30, M: 1e6 / 2 ** 30, G: 1e9 / 2 ** 30 };
  const m = /^([\d.]+)([A-Za-z]*)$/.exec(q)!;
  return Number(m[1]) * (m[2] ? units[m[2]]! : 1 / 2 ** 30);
}

describe('examples/local on one 4-CPU / 8-GiB kind node', () => {
  const json = synthExample('local')['mlops-local'].json as any;

  it('requests at most what the node leaves for our pods, with every scheduled job running at once', () => {
    const replicasOf = (where: string): number => {
      const [type, id] = where.split('/')[0]!.split('.') as [string, string];
      if (type === 'kubernetes_deployment_v1') {
        const target = (h: any) => h.spec.scale_target_ref.name as string;
        const hpa = Object.values(resourcesOf(json, 'kubernetes_horizontal_pod_autoscaler_v2')).find(
          (h: any) => target(h) === json.resource[type][id].metadata.name || target(h).includes(`.${id}.`),
        ) as any;
        return hpa ? hpa.spec.min_replicas : (json.resource[type][id].spec.replicas ?? 1);
      }
      if (type === 'kubernetes_stateful_set_v1') return json.resource[type][id].spec.replicas ?? 1;
      if (type === 'kubernetes_cron_job_v1') return json.resource[type][id].spec.job_template.spec.parallelism ?? 1;
      return 1;
    };
    // per pod: the larger of the biggest init container and the sum of the main containers, as the scheduler counts
    const pods = new Map<string, { init: { cpu: number; mem: number }; main: { cpu: number; mem: number }; replicas: number }>();
    for (const { where, pod, container } of allContainers(json)) {
      const key = where.split('/')[0]!;
      const entry = pods.get(key) ?? { init: { cpu: 0, mem: 0 }, main: { cpu: 0, mem: 0 }, replicas: replicasOf(where) };
      const r = container.resources?.requests ?? {};
      if ((pod.init_container ?? []).includes(container)) {
        entry.init = { cpu: Math.max(entry.init.cpu, cpu(r.cpu)), mem: Math.max(entry.init.mem, gib(r.memory)) };
      } else {
        entry.main = { cpu: entry.main.cpu + cpu(r.cpu), mem: entry.main.mem + gib(r.memory) };
      }
      pods.set(key, entry);
    }
    let total = { cpu: 0, mem: 0 };
    const lines: string[] = [];
    for (const [key, p] of pods) {
      const c = Math.max(p.init.cpu, p.main.cpu) * p.replicas;
      const m = Math.max(p.init.mem, p.main.mem) * p.replicas;
      total = { cpu: total.cpu + c, mem: total.mem + m };
      lines.push(`${key}: ${p.replicas} x -> ${c.toFixed(2)} CPU, ${m.toFixed(2)} GiB`);
    }
    const budget = { cpu: NODE.cpu - RESERVED.cpu, mem: NODE.memoryGiB - RESERVED.memoryGiB };
    expect({ cpu: total.cpu <= budget.cpu, memory: total.mem <= budget.mem }, `requests ${total.cpu.toFixed(2)} CPU, ${total.mem.toFixed(2)} GiB of ${budget.cpu} CPU, ${budget.mem} GiB:\n${lines.join('\n')}`).toEqual({ cpu: true, memory: true });
  });

  it('asks for no GPU', () => {
    const gpus = allContainers(json).filter(({ container }) => Object.keys({ ...container.resources?.limits, ...container.resources?.requests }).some((k) => k.includes('gpu')));
    expect(gpus.map((g) => g.where)).toEqual([]);
  });
});
