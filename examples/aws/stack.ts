import type { Construct } from 'constructs';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { S3Backend, TerraformStack } from '../../lib/core/cdktf';
import { AwsPodIdentity, EbsStorageClass, EksClusterConnection, MlopsPlatform, RdsRegistryDatabase, S3ArtifactStore } from '../../lib';
import { addChurnWorkloads } from '../churn';

/** Settings of the AWS example; the defaults are placeholders to replace. */
export interface AwsMlopsStackProps {
  readonly region?: string;
  readonly clusterName?: string;
  readonly bucketName?: string;
  readonly privateSubnetIds?: string[];
  /** An existing bucket that receives S3 server access logs. */
  readonly accessLogBucketName?: string;
  /**
   * IAM roles (e.g. the CI's GitHub OIDC role) that may push and pull the DVC data, and nothing else.
   * @default - ['acme-ml-ci'], a placeholder
   */
  readonly dvcRoleNames?: string[];
  /**
   * Remote state: an S3 bucket (versioned, encrypted) with native S3 locking.
   * @default - local state (fine for a first try, not for a team)
   */
  readonly stateBucket?: string;
}

/**
 * The whole platform on AWS: an existing EKS cluster by name, artifacts in S3
 * (SSE-KMS, TLS-only, versioned), the registry in RDS PostgreSQL with its
 * password managed by RDS in Secrets Manager, and EKS Pod Identity for every
 * workload. Synthesizes without credentials: nothing calls AWS until plan.
 */
export class AwsMlopsStack extends TerraformStack {
  public readonly platform: MlopsPlatform;

  constructor(scope: Construct, id: string, props: AwsMlopsStackProps = {}) {
    super(scope, id);
    const region = props.region ?? 'eu-west-1';
    if (props.stateBucket) {
      new S3Backend(this, { bucket: props.stateBucket, key: `${id}/terraform.tfstate`, region, encrypt: true });
      // Terraform >= 1.10 locks with a lock object next to the state, no DynamoDB table needed.
      this.addOverride('terraform.backend.s3.use_lockfile', true);
    }
    new AwsProvider(this, 'Aws', { region, defaultTags: [{ tags: { 'app.kubernetes.io/part-of': 'cdktf-mlops' } }] });

    const cluster = new EksClusterConnection(this, 'Cluster', { clusterName: props.clusterName ?? 'ml-prod' });
    const cloudIdentity = new AwsPodIdentity(this, 'PodIdentity', { clusterName: cluster.clusterName });
    // New EKS clusters (1.30+) have no default StorageClass: an encrypted gp3 class via the EBS CSI driver.
    const storage = new EbsStorageClass(this, 'Storage', { clusterName: cluster.clusterName });
    const artifactStore = new S3ArtifactStore(this, 'Artifacts', {
      bucketName: props.bucketName ?? 'acme-mlops-artifacts',
      // server access logs of the artifact bucket, into the account's existing log bucket
      accessLogs: { bucketName: props.accessLogBucketName ?? 'acme-s3-access-logs' },
    });
    const database = new RdsRegistryDatabase(this, 'RegistryDb', {
      namespace: 'mlops',
      clusterName: cluster.clusterName,
      vpcId: cluster.vpcId,
      privateSubnetIds: props.privateSubnetIds ?? ['subnet-0aaaaaaaaaaaaaaaa', 'subnet-0bbbbbbbbbbbbbbbb'],
      allowedSecurityGroupIds: [cluster.clusterSecurityGroupId],
      profile: 'production',
      // the credential sync gets its role the way the platform's workloads do
      cloudIdentity,
    });

    this.platform = new MlopsPlatform(this, 'Platform', {
      namespace: 'mlops',
      cluster,
      cloudIdentity,
      artifactStore,
      database,
      storageClassName: storage.storageClassName,
      tracking: { replicas: 2 },
      // Critical alerts page PagerDuty, warnings go to Slack; the credentials are keys of the Secret
      // `alerting` in the monitoring namespace, created by you, never in the stack.
      monitoringOptions: {
        alerting: {
          slack: { webhookUrl: { secretName: 'alerting', key: 'slack-url' }, channel: '#ml-alerts' },
          pagerDuty: { routingKey: { secretName: 'alerting', key: 'pagerduty-key' } },
        },
      },
    });

    // The same workloads as the local example; on AWS each kind gets its own IAM role with only its grants.
    const { training } = addChurnWorkloads(this.platform);
    // Data versioning in the artifact bucket under mlflow/dvc/: read/write on that prefix only for
    // the CI role(s) and the training job's role; the stack output holds the `dvc remote add` commands.
    this.platform.addDvcRemote('Data', { roleNames: props.dvcRoleNames ?? ['acme-ml-ci'], trainingJobs: [training] });
  }
}
