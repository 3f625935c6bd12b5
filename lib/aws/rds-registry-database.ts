import type { Construct } from 'constructs';
import { Construct as BaseConstruct } from 'constructs';
import { z } from 'zod';
import { DbInstance } from '@cdktf/provider-aws/lib/db-instance';
import { DbSubnetGroup } from '@cdktf/provider-aws/lib/db-subnet-group';
import { DbParameterGroup } from '@cdktf/provider-aws/lib/db-parameter-group';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import { VpcSecurityGroupIngressRule } from '@cdktf/provider-aws/lib/vpc-security-group-ingress-rule';
import { DataAwsVpc } from '@cdktf/provider-aws/lib/data-aws-vpc';
import type { IRegistryDatabase, SecretKeySelector } from '../stores/registry-database';
import type { EgressTarget } from '../core/network';
import type { ITerraformDependable } from '../core/cdktf';
import type { MlopsNamespace } from '../cluster/mlops-namespace';
import { addDependsOn } from '../core/dependencies';
import { parseProps } from '../core/props';
import { cidr, k8sName } from '../core/validators';
import { applyRemovalPolicy, removalPolicySchema, type RemovalPolicy } from '../core/removal';
import { EncryptionKey } from './encryption-key';
import { ExternalSecretsOperator } from './external-secrets-operator';
import { AwsPodIdentity } from './aws-pod-identity';
import { AwsIrsaIdentity } from './aws-irsa-identity';
import { RegistryDatabaseSecret } from './registry-database-secret';
import { dbIdentifier, dbInstanceClass, k8sNameOrToken, postgresVersion, tcpPort } from './validators';
import { ExistingRdsRegistryDatabase, type ExistingRdsRegistryDatabaseProps } from './existing-rds-registry-database';

/** Properties of an {@link RdsRegistryDatabase}. */
export interface RdsRegistryDatabaseProps {
  /** Namespace of the tracking server, where the credentials Secret is created. */
  readonly namespace: string;
  /** Name of the EKS cluster (for the External Secrets Operator's pod identity, when the database installs it). */
  readonly clusterName: string;
  /** VPC of the database (e.g. `EksClusterConnection.vpcId`). */
  readonly vpcId: string;
  /** Private subnets of the DB subnet group, in at least two Availability Zones. */
  readonly privateSubnetIds: string[];
  /** Security groups admitted on the database port: the cluster's node or pod security group (e.g. `EksClusterConnection.clusterSecurityGroupId`). */
  readonly allowedSecurityGroupIds: string[];
  /**
   * CIDRs where the database lives, for the tracking server's NetworkPolicy egress (the DB subnets or the VPC).
   * @default - the VPC's primary CIDR block
   */
  readonly databaseCidrs?: string[];
  /**
   * `production`: Multi-AZ and Performance Insights on. `development`: single AZ; everything else stays the same
   * (encrypted, private, deletion protection, final snapshot).
   * @default 'production'
   */
  readonly profile?: 'production' | 'development';
  /**
   * DB instance identifier (the final snapshot is `<identifier>-final`).
   * @default 'mlflow-registry'
   */
  readonly identifier?: string;
  /** @default 'db.t4g.medium' */
  readonly instanceClass?: string;
  /**
   * PostgreSQL version, 16 or newer; a major version alone lets RDS pick the minor.
   * @default '17'
   */
  readonly engineVersion?: string;
  /** @default 20 */
  readonly allocatedStorageGiB?: number;
  /**
   * Storage autoscaling ceiling.
   * @default 100
   */
  readonly maxAllocatedStorageGiB?: number;
  /**
   * Days of automated backups (7-35).
   * @default 7
   */
  readonly backupRetentionDays?: number;
  /** @default - true for `production`, false for `development` */
  readonly multiAz?: boolean;
  /** @default - true for `production`, false for `development` */
  readonly performanceInsights?: boolean;
  /** @default 5432 */
  readonly port?: number;
  /** @default 'mlflow' */
  readonly databaseName?: string;
  /** @default 'mlflow' */
  readonly masterUsername?: string;
  /**
   * KMS key for storage, the master secret and Performance Insights.
   * @default - a new key with rotation (construct id `EncryptionKey`)
   */
  readonly kmsKeyArn?: string;
  /**
   * The operator that syncs the credentials into the cluster.
   * @default - one is installed (construct id `ExternalSecrets`)
   */
  readonly externalSecrets?: ExternalSecretsOperator;
  /**
   * The platform's cloud identity: the External Secrets Operator installed here gets its role the
   * same way (IRSA, or EKS Pod Identity with the same agent setting). Ignored when `externalSecrets` is given.
   * @default - EKS Pod Identity, the agent add-on installed
   */
  readonly cloudIdentity?: AwsPodIdentity | AwsIrsaIdentity;
  /**
   * Name of the Kubernetes Secret with keys `uri`, `username` and `password`.
   * @default 'mlflow-registry-db'
   */
  readonly secretName?: string;
  /**
   * Whether the database and its key survive `terraform destroy` (`retain` adds `prevent_destroy`;
   * deletion protection and the final snapshot apply either way).
   * @default 'retain'
   */
  readonly removalPolicy?: RemovalPolicy;
  /** Platform name, for labels. @default 'mlops' */
  readonly instance?: string;
}

const schema = z.strictObject({
  namespace: k8sNameOrToken,
  clusterName: z.string().min(1),
  vpcId: z.string().min(1),
  privateSubnetIds: z.array(z.string().min(1)).min(2, { message: 'needs at least two private subnets in different Availability Zones' }),
  allowedSecurityGroupIds: z.array(z.string().min(1)).min(1, { message: 'needs the cluster node or pod security group' }),
  databaseCidrs: z.array(cidr).min(1).optional(),
  profile: z.enum(['production', 'development']).default('production'),
  identifier: dbIdentifier.default('mlflow-registry'),
  instanceClass: dbInstanceClass.default('db.t4g.medium'),
  engineVersion: postgresVersion.default('17'),
  allocatedStorageGiB: z.number().int().min(20).max(65536).default(20),
  maxAllocatedStorageGiB: z.number().int().min(20).max(65536).default(100),
  backupRetentionDays: z.number().int().min(7, { message: 'must be at least 7 days' }).max(35, { message: 'must be at most 35 days (the RDS maximum)' }).default(7),
  multiAz: z.boolean().optional(),
  performanceInsights: z.boolean().optional(),
  port: tcpPort.default(5432),
  databaseName: z.string().regex(/^[a-zA-Z][a-zA-Z0-9_]{0,62}$/).default('mlflow'),
  masterUsername: z.string().regex(/^[a-zA-Z][a-zA-Z0-9_]{0,15}$/).refine((v) => !['postgres', 'admin', 'rdsadmin'].includes(v), { message: 'is reserved' }).default('mlflow'),
  kmsKeyArn: z.string().startsWith('arn:', { message: 'must be a KMS key ARN' }).optional(),
  externalSecrets: z.instanceof(ExternalSecretsOperator).optional(),
  cloudIdentity: z.union([z.instanceof(AwsPodIdentity), z.instanceof(AwsIrsaIdentity)], { message: 'must be an AwsPodIdentity or AwsIrsaIdentity' }).optional(),
  secretName: k8sName.default('mlflow-registry-db'),
  removalPolicy: removalPolicySchema.default('retain'),
  instance: k8sName.default('mlops'),
}).refine((p) => p.maxAllocatedStorageGiB >= p.allocatedStorageGiB, { message: 'must be at least allocatedStorageGiB', path: ['maxAllocatedStorageGiB'] });

/**
 * PostgreSQL on RDS for the MLflow tracking store and model registry:
 * encrypted with a customer-managed key, private, TLS enforced
 * (`rds.force_ssl = 1`), reachable on its port only from the given cluster
 * security groups, backed up, protected from deletion and snapshotted on destroy.
 *
 * The master password is generated and stored by RDS in Secrets Manager
 * (`manage_master_user_password`); the External Secrets Operator copies it into
 * a Kubernetes Secret in the tracking namespace. It never appears in
 * `cdk.tf.json` or Terraform state.
 */
export class RdsRegistryDatabase extends BaseConstruct implements IRegistryDatabase {
  /** Uses an existing database whose credentials are in Secrets Manager. */
  public static fromExisting(scope: Construct, id: string, props: ExistingRdsRegistryDatabaseProps): IRegistryDatabase {
    return new ExistingRdsRegistryDatabase(scope, id, props);
  }

  public readonly kind = 'rds-postgres';
  public readonly uriSecret: SecretKeySelector;
  public readonly authDatabaseName = 'mlflow_auth';
  public readonly egress: EgressTarget[];
  /** Host name of the instance. */
  public readonly endpointAddress: string;
  public readonly port: number;
  /** ARN of the RDS-managed Secrets Manager secret with the master credentials. */
  public readonly masterSecretArn: string;
  public readonly kmsKeyArn: string;
  /** Underlying resources, for escape hatches. */
  public readonly instance: DbInstance;
  public readonly encryptionKey?: EncryptionKey;
  public readonly securityGroup: SecurityGroup;
  public readonly subnetGroup: DbSubnetGroup;
  public readonly parameterGroup: DbParameterGroup;
  public readonly externalSecrets: ExternalSecretsOperator;
  public readonly credentials: RegistryDatabaseSecret;
  /** The instance and the credential sync: the tracking server starts after them. */
  public readonly readyWhen: ITerraformDependable[];

  constructor(scope: Construct, id: string, props: RdsRegistryDatabaseProps) {
    super(scope, id);
    const p = parseProps(schema, props, this);
    const removal = p.removalPolicy as RemovalPolicy;
    const production = p.profile === 'production';
    const major = p.engineVersion.split('.')[0]!;

    // Construct ids `Resource` and `EncryptionKey` are a public contract (pinned by tests).
    if (p.kmsKeyArn) {
      this.kmsKeyArn = p.kmsKeyArn;
    } else {
      this.encryptionKey = new EncryptionKey(this, 'EncryptionKey', {
        description: `RDS ${p.identifier}: storage, master secret and Performance Insights`,
        alias: `mlops/rds/${p.identifier}`,
        removalPolicy: removal,
      });
      this.kmsKeyArn = this.encryptionKey.keyArn;
    }

    this.securityGroup = new SecurityGroup(this, 'SecurityGroup', {
      namePrefix: `${p.identifier}-`,
      description: `MLflow registry database ${p.identifier}: PostgreSQL from the EKS cluster only`,
      vpcId: p.vpcId,
      // No egress rules: Terraform removes the default allow-all egress; the database initiates no connections.
      lifecycle: { createBeforeDestroy: true },
    });
    p.allowedSecurityGroupIds.forEach((sg, i) => {
      new VpcSecurityGroupIngressRule(this, `Ingress${i}`, {
        securityGroupId: this.securityGroup.id,
        description: 'PostgreSQL from the EKS cluster security group',
        ipProtocol: 'tcp',
        fromPort: p.port,
        toPort: p.port,
        referencedSecurityGroupId: sg,
      });
    });
    this.subnetGroup = new DbSubnetGroup(this, 'SubnetGroup', {
      namePrefix: `${p.identifier}-`,
      description: `Private subnets of the MLflow registry database ${p.identifier}`,
      subnetIds: p.privateSubnetIds,
    });
    this.parameterGroup = new DbParameterGroup(this, 'ParameterGroup', {
      namePrefix: `${p.identifier}-`,
      description: `MLflow registry database ${p.identifier}: TLS required`,
      family: `postgres${major}`,
      parameter: [
        { name: 'rds.force_ssl', value: '1', applyMethod: 'immediate' },
        { name: 'log_connections', value: '1' },
        { name: 'log_disconnections', value: '1' },
      ],
      lifecycle: { createBeforeDestroy: true },
    });

    const performanceInsights = p.performanceInsights ?? production;
    this.instance = new DbInstance(this, 'Resource', {
      identifier: p.identifier,
      engine: 'postgres',
      engineVersion: p.engineVersion,
      instanceClass: p.instanceClass,
      port: p.port,
      dbName: p.databaseName,
      username: p.masterUsername,
      manageMasterUserPassword: true,
      masterUserSecretKmsKeyId: this.kmsKeyArn,
      allocatedStorage: p.allocatedStorageGiB,
      maxAllocatedStorage: p.maxAllocatedStorageGiB,
      storageType: 'gp3',
      storageEncrypted: true,
      kmsKeyId: this.kmsKeyArn,
      publiclyAccessible: false,
      dbSubnetGroupName: this.subnetGroup.name,
      vpcSecurityGroupIds: [this.securityGroup.id],
      parameterGroupName: this.parameterGroup.name,
      multiAz: p.multiAz ?? production,
      backupRetentionPeriod: p.backupRetentionDays,
      deleteAutomatedBackups: false,
      copyTagsToSnapshot: true,
      deletionProtection: true,
      skipFinalSnapshot: false,
      finalSnapshotIdentifier: `${p.identifier}-final`,
      autoMinorVersionUpgrade: true,
      allowMajorVersionUpgrade: false,
      enabledCloudwatchLogsExports: ['postgresql', 'upgrade'],
      performanceInsightsEnabled: performanceInsights,
      performanceInsightsKmsKeyId: performanceInsights ? this.kmsKeyArn : undefined,
      performanceInsightsRetentionPeriod: performanceInsights ? 7 : undefined,
      iamDatabaseAuthenticationEnabled: true,
    });
    applyRemovalPolicy(removal, this.instance);

    this.endpointAddress = this.instance.address;
    this.port = p.port;
    this.masterSecretArn = this.instance.masterUserSecret.get(0).secretArn;
    this.externalSecrets = p.externalSecrets ?? ExternalSecretsOperator.following(this, 'ExternalSecrets', p.clusterName, p.cloudIdentity);
    this.credentials = new RegistryDatabaseSecret(this, 'Credentials', {
      externalSecrets: this.externalSecrets,
      namespace: p.namespace,
      secretName: p.secretName,
      secretArn: this.masterSecretArn,
      kmsKeyArn: this.kmsKeyArn,
      host: this.endpointAddress,
      port: p.port,
      databaseName: p.databaseName,
      instance: p.instance,
    });
    this.readyWhen = [this.instance, this.credentials.release];
    this.uriSecret = { name: p.secretName, key: 'uri' };
    const cidrs = p.databaseCidrs ?? [new DataAwsVpc(this, 'Vpc', { id: p.vpcId }).cidrBlock];
    this.egress = [{ name: 'registry-database', to: cidrs.map((cidr) => ({ cidr })), ports: [{ port: p.port }] }];
  }

  /** A no-op: the security group admits the cluster security groups, which cover every pod. */
  public allowConnectionsFrom(_podLabels: Record<string, string>): void {}

  /** Creates the credential sync after the platform's namespace, so one apply works on an empty cluster. */
  public useNamespace(namespace: MlopsNamespace): void {
    if (namespace.resource) addDependsOn(this.credentials.release, namespace.resource);
  }
}

/** The props' zod schema, composed by the platform spec (lib/spec/spec-schema.ts). @internal */
export const rdsRegistryDatabaseSchema = schema;
