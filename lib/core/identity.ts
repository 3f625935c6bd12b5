import type { Construct } from 'constructs';
import type { EgressTarget } from './network';

/** The kinds of workload; cloud identities get one role per kind. */
export type WorkloadKind = 'tracking' | 'training' | 'serving' | 'drift';

/** The identity a workload's pods run as: a service account, and a cloud role where one is configured. */
export interface IWorkloadIdentity {
  readonly kind: WorkloadKind;
  readonly namespace: string;
  readonly serviceAccountName: string;
  /**
   * Gives this workload's cloud role a managed policy (e.g. an `aws_iam_policy` ARN).
   * A no-op on clusters without cloud identity.
   */
  attachPolicy(id: string, policyArn: string): void;
}

/**
 * Maps service accounts to cloud roles (EKS Pod Identity, IRSA, ...). The
 * platform asks it once per service account it creates.
 */
export interface ICloudIdentity {
  /**
   * Called for each service account; creates whatever links it to the role of
   * its workload kind and returns annotations for the ServiceAccount (IRSA).
   */
  associate(scope: Construct, kind: WorkloadKind, namespace: string, serviceAccountName: string): Record<string, string>;
  /** Attaches a policy to the role of a workload kind. */
  attachPolicy(scope: Construct, id: string, kind: WorkloadKind, policyArn: string): void;
  /** Network egress pods need to obtain credentials (e.g. the pod identity agent). */
  readonly credentialEgress: EgressTarget[];
}
