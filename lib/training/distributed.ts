import type { Construct } from 'constructs';
import { ServiceV1 } from '@cdktf/provider-kubernetes/lib/service-v1';
import type { EnvVar } from '../core/workload';
import type { INamespace } from '../core/network';

/**
 * Distributed training on an Indexed Job: Kubernetes starts `workers` pods,
 * each with a completion index (0..workers-1) and the hostname
 * `<job-name>-<index>`; a headless Service named as the pods' `subdomain` gives
 * each pod the DNS name `<job-name>-<index>.<service>`. Rank 0 is the
 * rendezvous master. The job name is read from the pod's own label through the
 * downward API, because a CronJob generates a new job name for every run.
 *
 * Env given to every step, for `torch.distributed` (init_method `env://`, one
 * process per pod) and for `torchrun` (which reads the `PET_*` variables as
 * its arguments and sets RANK/WORLD_SIZE of its own child processes):
 *
 * | variable | value |
 * |---|---|
 * | `JOB_NAME` | the Job's name (label `batch.kubernetes.io/job-name`, Kubernetes >= 1.27) |
 * | `MASTER_ADDR`, `PET_MASTER_ADDR` | `<job-name>-0.<service>` |
 * | `MASTER_PORT`, `PET_MASTER_PORT` | the master port |
 * | `WORLD_SIZE`, `PET_NNODES` | number of pods |
 * | `RANK`, `NODE_RANK`, `PET_NODE_RANK` | the pod's completion index (Kubernetes also sets `JOB_COMPLETION_INDEX`) |
 * | `PET_NPROC_PER_NODE` | GPUs per pod, at least 1 |
 */
export interface DistributedEnvOptions {
  /** Name of the headless Service (the pods' subdomain). */
  readonly serviceName: string;
  readonly workers: number;
  readonly masterPort: number;
  readonly gpusPerPod: number;
}

export const JOB_NAME_LABEL = 'batch.kubernetes.io/job-name';
export const COMPLETION_INDEX_ANNOTATION = 'batch.kubernetes.io/job-completion-index';

/** Env of every step of a distributed job; order matters, as `$(VAR)` only expands variables defined earlier. */
export function distributedEnv(o: DistributedEnvOptions): EnvVar[] {
  const master = `$(JOB_NAME)-0.${o.serviceName}`;
  return [
    { name: 'JOB_NAME', valueFrom: { fieldRef: { fieldPath: `metadata.labels['${JOB_NAME_LABEL}']` } } },
    { name: 'RANK', valueFrom: { fieldRef: { fieldPath: `metadata.annotations['${COMPLETION_INDEX_ANNOTATION}']` } } },
    { name: 'NODE_RANK', value: '$(RANK)' },
    { name: 'WORLD_SIZE', value: String(o.workers) },
    { name: 'MASTER_ADDR', value: master },
    { name: 'MASTER_PORT', value: String(o.masterPort) },
    { name: 'PET_MASTER_ADDR', value: master },
    { name: 'PET_MASTER_PORT', value: String(o.masterPort) },
    { name: 'PET_NNODES', value: String(o.workers) },
    { name: 'PET_NODE_RANK', value: '$(RANK)' },
    { name: 'PET_NPROC_PER_NODE', value: String(Math.max(1, o.gpusPerPod)) },
  ];
}

/** Names the distributed env defines; user env may not override them. */
export const DISTRIBUTED_ENV_NAMES = [
  'JOB_NAME', 'RANK', 'NODE_RANK', 'WORLD_SIZE', 'MASTER_ADDR', 'MASTER_PORT',
  'PET_MASTER_ADDR', 'PET_MASTER_PORT', 'PET_NNODES', 'PET_NODE_RANK', 'PET_NPROC_PER_NODE',
];

/**
 * Wraps a command so that it runs on rank 0 only and exits 0 elsewhere (data
 * validation and the promotion gate judge the whole run once). Kubernetes sets
 * `JOB_COMPLETION_INDEX` in every pod of an Indexed Job. Needs `sh` in the image.
 */
export function rankZeroOnly(command: string[]): string[] {
  // No `${...}` here: in cdk.tf.json Terraform would read it as an interpolation.
  const script =
    'i="$JOB_COMPLETION_INDEX"; if [ -n "$i" ] && [ "$i" != "0" ]; then echo "rank $i: this step runs on rank 0 only"; exit 0; fi; exec "$@"';
  return ['sh', '-c', script, 'rank0-only', ...command];
}

/** What the pods of a distributed run need to find and reach each other. */
export interface WorkerNetworkOptions {
  /** Prefix of the network policy names (the job's name). */
  readonly name: string;
  readonly namespace: INamespace;
  /** Labels of the Service. */
  readonly labels: Record<string, string>;
  /** Labels selecting the job's pods. */
  readonly podLabels: Record<string, string>;
  /** Name of the headless Service, the pods' subdomain. */
  readonly serviceName: string;
  readonly masterPort: number;
}

/**
 * The headless Service (id `Workers`) that gives each pod its DNS name, and
 * network policies that let the job's pods talk to each other.
 */
export function workerNetwork(scope: Construct, o: WorkerNetworkOptions): ServiceV1 {
  const service = new ServiceV1(scope, 'Workers', {
    metadata: { name: o.serviceName, namespace: o.namespace.name, labels: o.labels },
    spec: {
      clusterIp: 'None',
      selector: o.podLabels,
      // Ranks must resolve each other before any of them is ready.
      publishNotReadyAddresses: true,
      port: [{ name: 'rendezvous', port: o.masterPort, targetPort: String(o.masterPort) }],
    },
  });
  // NCCL and Gloo open connections on ephemeral ports besides MASTER_PORT: allow all TCP among the job's pods.
  o.namespace.allowIngress(scope, 'AllowPeersIngress', {
    name: `${o.name}-peers-ingress`, podLabels: o.podLabels, from: [{ podLabels: o.podLabels }], ports: [],
  });
  o.namespace.allowEgress(scope, 'AllowPeersEgress', {
    name: `${o.name}-peers-egress`, podLabels: o.podLabels, to: [{ podLabels: o.podLabels }], ports: [],
  });
  return service;
}
