import { Construct } from 'constructs';
import { Release } from '@cdktf/provider-helm/lib/release';
import type { ExternalSecretsOperator } from './external-secrets-operator';
import { standardLabels } from '../core/labels';
import { awsContext } from './aws-context';
import { localChart } from '../core/assets';
import { z } from 'zod';
import { parseProps } from '../core/props';
import { implementing, k8sName } from '../core/validators';
import { Token } from '../core/cdktf';

const nameOrToken = z.union([z.string().refine((v) => Token.isUnresolved(v)), k8sName], { message: 'must be an RFC 1123 label (or a token resolving to one)' });
const schema = z.strictObject({
  externalSecrets: implementing<ExternalSecretsOperator>('ExternalSecretsOperator', ['grantSecretRead']),
  namespace: nameOrToken,
  secretName: k8sName,
  secretArn: z.string().min(1),
  kmsKeyArn: z.string().min(1).optional(),
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535),
  databaseName: z.string().min(1),
  instance: z.string().min(1),
});

/** Properties of a {@link RegistryDatabaseSecret}. */
export interface RegistryDatabaseSecretProps {
  readonly externalSecrets: ExternalSecretsOperator;
  /** Namespace of the tracking server; the Secret is created there. */
  readonly namespace: string;
  /** Name of the Kubernetes Secret (keys `uri`, `username`, `password`). */
  readonly secretName: string;
  /** Secrets Manager secret with JSON keys `username` and `password` (the RDS-managed master secret). */
  readonly secretArn: string;
  /** KMS key that encrypts the secret, when customer-managed. */
  readonly kmsKeyArn?: string;
  readonly host: string;
  /** A literal port (not a token: it is embedded in the chart values). */
  readonly port: number;
  readonly databaseName: string;
  /** Platform name, for labels. */
  readonly instance: string;
}

/**
 * Delivers database credentials from Secrets Manager to a Kubernetes Secret
 * in-cluster, through a SecretStore and an ExternalSecret installed as a local
 * chart after the operator (so one `apply` works on an empty cluster). The
 * password never passes through Terraform.
 */
export class RegistryDatabaseSecret extends Construct {
  public readonly release: Release;
  public readonly secretName: string;

  constructor(scope: Construct, id: string, props: RegistryDatabaseSecretProps) {
    super(scope, id);
    parseProps(schema, props, this);
    const grant = props.externalSecrets.grantSecretRead(this, 'ReadSecret', props.secretArn, props.kmsKeyArn);
    this.secretName = props.secretName;
    this.release = new Release(this, 'Resource', {
      name: `${props.secretName}-sync`,
      chart: localChart(this, 'Chart', 'aws', 'registry-db-secret'),
      namespace: props.namespace,
      values: [
        JSON.stringify({
          region: awsContext(this).region,
          secretArn: props.secretArn,
          host: props.host,
          port: props.port,
          database: props.databaseName,
          targetSecretName: props.secretName,
          refreshInterval: '1h',
          labels: standardLabels({ name: 'postgres', instance: props.instance, component: 'database-credentials' }),
        }),
      ],
      dependsOn: [props.externalSecrets.release, grant],
    });
  }
}
