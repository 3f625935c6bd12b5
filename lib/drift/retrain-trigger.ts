import type { Construct } from 'constructs';
import { RoleV1 } from '@cdktf/provider-kubernetes/lib/role-v1';
import { RoleBindingV1 } from '@cdktf/provider-kubernetes/lib/role-binding-v1';
import type { EgressTarget } from '../core/network';

/*
 * Retraining on persistent drift: drift_check.py creates a Job from the
 * model's training CronJob, so its pod needs the API server (egress) and a
 * Role allowing exactly that.
 */

/** The training that a persistent drift re-runs. Satisfied by a scheduled `TrainingJob`. */
export interface RetrainTarget {
  /** Name of the training CronJob; a one-off Job (no CronJob) cannot be re-triggered. */
  readonly cronJobName?: string;
  /**
   * Namespace of the CronJob. The drift monitor's Role is namespaced, so it can only re-run
   * training in its own namespace; a target elsewhere is refused at construct time.
   * @default - the drift monitor's namespace
   */
  readonly namespaceName?: string;
}

/** When persistent drift starts retraining. */
export interface DriftRetrainOptions {
  /** The model's scheduled training; a Job is created from its CronJob. */
  readonly trainingJob: RetrainTarget;
  /**
   * Number of consecutive drift checks that must find dataset drift before a
   * retraining Job is created (the count restarts after each trigger). With
   * the default daily schedule, 2 runs each checking a day of production data
   * means "drift for 48 hours".
   * @default 2
   */
  readonly afterConsecutiveRuns?: number;
}

/** Where the API server is, for the retraining trigger's network egress. */
export interface ApiServerEgressOptions {
  /**
   * IP range of the API server endpoints (`kubectl get endpoints kubernetes`).
   * NetworkPolicies match the endpoint after the Service address is translated,
   * and cannot name the API server, so the default is any address.
   * @default '0.0.0.0/0'
   */
  readonly cidr?: string;
  /**
   * Ports of the API server: the `kubernetes` Service port and the endpoint port.
   * @default [443, 6443]
   */
  readonly ports?: number[];
}

/** Where the retraining permissions live and who gets them. */
export interface RetrainPermissionsOptions {
  /** Name of the Role and RoleBinding. */
  readonly name: string;
  readonly namespace: string;
  readonly labels: Record<string, string>;
  /** The training CronJob whose job template is copied. */
  readonly cronJobName: string;
  readonly serviceAccountName: string;
}

/** A Role in the drift check's namespace, bound to its service account: `get` on the one CronJob, `create` on Jobs. */
export function retrainPermissions(scope: Construct, o: RetrainPermissionsOptions): { role: RoleV1; roleBinding: RoleBindingV1 } {
  const role = new RoleV1(scope, 'RetrainRole', {
    metadata: { name: o.name, namespace: o.namespace, labels: o.labels },
    rule: [
      // Read the one training CronJob whose job template is copied.
      { apiGroups: ['batch'], resources: ['cronjobs'], resourceNames: [o.cronJobName], verbs: ['get'] },
      // `create` cannot be limited by resourceNames (the name does not exist yet).
      { apiGroups: ['batch'], resources: ['jobs'], verbs: ['create'] },
    ],
  });
  const roleBinding = new RoleBindingV1(scope, 'RetrainBinding', {
    metadata: { name: o.name, namespace: o.namespace, labels: o.labels },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role.metadata.name },
    subject: [{ kind: 'ServiceAccount', name: o.serviceAccountName, namespace: o.namespace }],
  });
  return { role, roleBinding };
}

/** The egress target that lets the trigger reach the API server. */
export function apiServerEgress(apiServer: Required<ApiServerEgressOptions>): EgressTarget {
  return { name: 'api-server', to: [{ cidr: apiServer.cidr }], ports: apiServer.ports.map((port) => ({ port })) };
}
