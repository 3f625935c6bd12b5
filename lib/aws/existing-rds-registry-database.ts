import { Construct } from 'constructs';
import { z } from 'zod';
import type { IRegistryDatabase, SecretKeySelector } from '../stores/registry-database';
import type { EgressTarget } from '../core/network';
import { Token, type ITerraformDependable } from '../core/cdktf';
import type { MlopsNamespace } from '../cluster/mlops-namespace';
import { addDependsOn } from '../core/dependencies';
import { parseProps } from '../core/props';
import { cidr, k8sName, rdsEndpoint } from '../core/validators';
import { ExternalSecretsOperator } from './external-secrets-operator';
import { AwsPodIdentity } from './aws-pod-identity';
import { AwsIrsaIdentity } from './aws-irsa-identity';
import { RegistryDatabaseSecret } from './registry-database-secret';
import { k8sNameOrToken, tcpPort } from './validators';

/** Properties of an existing database used through `RdsRegistryDatabase.fromExisting`. */
export interface ExistingRdsRegistryDatabaseProps {
  /** Host name of the database. */
  readonly endpoint: string;
  /** @default 5432 */
  readonly port?: number;
  /** Secrets Manager secret with JSON keys `username` and `password` (e.g. the RDS-managed master secret). */
  readonly secretArn: string;
  /**
   * KMS key of the secret, when customer-managed.
   * @default - no KMS permission (the secret uses the AWS-managed key)
   */
  readonly kmsKeyArn?: string;
  /** @default 'mlflow' */
  readonly databaseName?: string;
  /** Namespace of the tracking server. */
  readonly namespace: string;
  /** CIDRs of the database (subnets or VPC), for NetworkPolicy egress. */
  readonly databaseCidrs: string[];
  /** The operator that syncs the secret; give one, or a clusterName to install one. */
  readonly externalSecrets?: ExternalSecretsOperator;
  /**
   * The platform's cloud identity: the External Secrets Operator installed here gets its role the
   * same way (IRSA, or EKS Pod Identity with the same agent setting). Ignored when `externalSecrets` is given.
   * @default - EKS Pod Identity, the agent add-on installed
   */
  readonly cloudIdentity?: AwsPodIdentity | AwsIrsaIdentity;
  /** Name of the EKS cluster, when the operator is installed here. */
  readonly clusterName?: string;
  /** @default 'mlflow-registry-db' */
  readonly secretName?: string;
  /** @default 'mlops' */
  readonly instance?: string;
}

const schema = z
  .strictObject({
    endpoint: z.union([z.string().refine((v) => Token.isUnresolved(v)), rdsEndpoint], { message: 'must be a database hostname such as "mlflow.abc123.eu-west-1.rds.amazonaws.com" (or a token resolving to one)' }),
    port: tcpPort.default(5432),
    secretArn: z.string().startsWith('arn:', { message: 'must be a Secrets Manager secret ARN' }),
    kmsKeyArn: z.string().startsWith('arn:').optional(),
    databaseName: z.string().regex(/^[a-zA-Z][a-zA-Z0-9_]{0,62}$/).default('mlflow'),
    namespace: k8sNameOrToken,
    databaseCidrs: z.array(cidr).min(1),
    externalSecrets: z.instanceof(ExternalSecretsOperator).optional(),
    cloudIdentity: z.union([z.instanceof(AwsPodIdentity), z.instanceof(AwsIrsaIdentity)], { message: 'must be an AwsPodIdentity or AwsIrsaIdentity' }).optional(),
    clusterName: z.string().min(1).optional(),
    secretName: k8sName.default('mlflow-registry-db'),
    instance: k8sName.default('mlops'),
  })
  .refine((p) => p.externalSecrets || p.clusterName, { message: 'give externalSecrets or clusterName', path: ['clusterName'] });

/** An existing PostgreSQL whose credentials live in Secrets Manager; only the credential sync is created. */
export class ExistingRdsRegistryDatabase extends Construct implements IRegistryDatabase {
  public readonly kind = 'rds-postgres';
  public readonly uriSecret: SecretKeySelector;
  public readonly authDatabaseName = 'mlflow_auth';
  public readonly egress: EgressTarget[];
  public readonly credentials: RegistryDatabaseSecret;
  /** The instance and the credential sync: the tracking server starts after them. */
  public readonly readyWhen: ITerraformDependable[];

  constructor(scope: Construct, id: string, props: ExistingRdsRegistryDatabaseProps) {
    super(scope, id);
    const p = parseProps(schema, props, this);
    const externalSecrets = p.externalSecrets ?? ExternalSecretsOperator.following(this, 'ExternalSecrets', p.clusterName!, p.cloudIdentity);
    this.credentials = new RegistryDatabaseSecret(this, 'Credentials', {
      externalSecrets,
      namespace: p.namespace,
      secretName: p.secretName,
      secretArn: p.secretArn,
      kmsKeyArn: p.kmsKeyArn,
      host: p.endpoint,
      port: p.port,
      databaseName: p.databaseName,
      instance: p.instance,
    });
    this.readyWhen = [this.credentials.release];
    this.uriSecret = { name: p.secretName, key: 'uri' };
    this.egress = [{ name: 'registry-database', to: p.databaseCidrs.map((cidr) => ({ cidr })), ports: [{ port: p.port }] }];
  }

  /** A no-op: access is governed by the database's own security group. */
  public allowConnectionsFrom(_podLabels: Record<string, string>): void {}

  /** Creates the credential sync after the platform's namespace, so one apply works on an empty cluster. */
  public useNamespace(namespace: MlopsNamespace): void {
    if (namespace.resource) addDependsOn(this.credentials.release, namespace.resource);
  }
}
