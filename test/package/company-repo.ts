/**
 * A company repo built on the packed library, as a platform team would write it: its own providers
 * (an `IClusterConnection`), its artifact store on MinIO (the library's S3-compatible store, on a
 * bucket with dots), its managed Postgres (an `IRegistryDatabase` of its own), and a subclass of
 * `ModelDeployment` that adds the company's labels, an annotation, an env var from a Secret and a
 * log-shipping sidecar, with typed props only. `tarball.test.ts` writes these files to
 * `app/acme/` of a project that installed the tarball, type-checks them strictly, runs `main.ts`
 * (cdktf's validations on), runs `acme.test.ts` with vitest, and gives the output to `terraform validate`.
 */
export const COMPANY_REPO: Record<string, string> = {
  'providers.ts': `import { Construct } from 'constructs';
import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import { HelmProvider } from '@cdktf/provider-helm/lib/provider';
import type { IClusterConnection } from 'cdktf-mlops';

/** Acme's clusters: one kubeconfig, one context per environment. */
export class AcmeCluster extends Construct implements IClusterConnection {
  public readonly kubernetesProvider: KubernetesProvider;
  public readonly helmProvider: HelmProvider;

  constructor(scope: Construct, id: string, env: 'prod' | 'staging') {
    super(scope, id);
    const kube = { configPath: '/etc/acme/kubeconfig', configContext: \`acme-\${env}\` };
    this.kubernetesProvider = new KubernetesProvider(this, 'Kubernetes', kube);
    this.helmProvider = new HelmProvider(this, 'Helm', { kubernetes: kube });
  }
}
`,
  'managed-postgres.ts': `import { Construct } from 'constructs';
import type { EgressTarget, IRegistryDatabase, SecretKeySelector } from 'cdktf-mlops';

/** Acme's managed Postgres: the DBA team provisions it and syncs the URI into a Secret. */
export class AcmeManagedPostgres extends Construct implements IRegistryDatabase {
  public readonly kind = 'acme-managed-postgres';
  public readonly uriSecret: SecretKeySelector = { name: 'acme-pg-mlflow', key: 'uri' };
  public readonly authDatabaseName = 'mlflow_auth';
  public readonly egress: EgressTarget[] = [{ name: 'acme-postgres', to: [{ cidr: '10.40.0.0/16' }], ports: [{ port: 5432 }] }];
  public readonly clients: Record<string, string>[] = [];

  public allowConnectionsFrom(podLabels: Record<string, string>): void {
    this.clients.push(podLabels); // the database's firewall admits the cluster's node range already
  }
}
`,
  'acme-model.ts': `import type { Construct } from 'constructs';
import { ModelDeployment, type ModelDeploymentProps } from 'cdktf-mlops';

/** Acme's serving standard: team labels, an owner, the API token, and the audit log shipper. */
export interface AcmeModelProps extends ModelDeploymentProps {
  /** @default 'risk' */
  readonly team?: string;
}

export class AcmeModel extends ModelDeployment {
  public readonly team: string;

  constructor(scope: Construct, id: string, props: AcmeModelProps) {
    const team = props.team ?? 'risk';
    super(scope, id, {
      ...props,
      labels: { 'acme.com/team': team, ...props.labels },
      annotations: { 'acme.com/owner': \`\${team}@acme.com\`, ...props.annotations },
      secretEnv: { ACME_API_TOKEN: { secretName: 'acme-api', key: 'token' }, ...props.secretEnv },
      sidecars: [
        { name: 'acme-audit', image: 'registry.acme.com/audit-shipper:3.2.1', args: ['--listen', ':9400'], ports: [{ name: 'audit', containerPort: 9400 }], writablePaths: ['/var/spool/audit'] },
        ...(props.sidecars ?? []),
      ],
    });
    this.team = team;
  }
}
`,
  'stack.ts': `import type { TerraformStack } from 'cdktf';
import { MlopsPlatform, S3CompatibleArtifactStore } from 'cdktf-mlops';
import { AcmeCluster } from './providers';
import { AcmeManagedPostgres } from './managed-postgres';
import { AcmeModel } from './acme-model';

/** Acme's platform: its providers, MinIO, managed Postgres, and AcmeModel for every model. */
export function buildAcmeStack(stack: TerraformStack): MlopsPlatform<AcmeModel> {
  const cluster = new AcmeCluster(stack, 'Cluster', 'prod');
  const artifactStore = new S3CompatibleArtifactStore(stack, 'Minio', {
    bucketName: 'my.company.models',
    endpoint: 'http://minio.minio.svc:9000',
    credentialsSecret: { name: 'minio-mlflow' },
    peers: [{ namespace: 'minio' }],
  });
  const platform = new MlopsPlatform(stack, 'Platform', {
    namespace: 'ml-prod',
    cluster,
    artifactStore,
    database: new AcmeManagedPostgres(stack, 'Database'),
    monitoring: false,
    workloadDefaults: { labels: { 'acme.com/env': 'prod' }, imagePullSecrets: ['acme-registry'] },
    constructs: { model: AcmeModel },
  });
  const training = platform.addTrainingJob('Churn', {
    name: 'churn', image: 'registry.acme.com/churn-train:1.4.2', command: ['python', 'train.py'], model: 'churn', schedule: '0 0 * * 0',
    secretEnv: { ACME_WAREHOUSE_DSN: { secretName: 'acme-warehouse', key: 'dsn' } },
  });
  platform.addModel('Churn', { model: 'models:/churn@champion', inferenceLogging: true });
  platform.addDriftMonitor('Churn', {
    model: 'churn', reference: 'datasets/churn/reference.parquet', current: 'inference-logs/churn/',
    features: [{ name: 'tenure_months' }], retrain: { trainingJob: training },
  });
  return platform;
}
`,
  'main.ts': `import { App, TerraformStack } from 'cdktf';
import { buildAcmeStack } from './stack';
import type { AcmeModel } from './acme-model';

const app = new App({ outdir: 'out-acme' });
const platform = buildAcmeStack(new TerraformStack(app, 'acme'));
const churn: AcmeModel = platform.models.Churn!; // typed as the company's class, not the library's
app.synth();
console.log(JSON.stringify({ models: Object.keys(platform.models), modelClass: churn.constructor.name, team: churn.team }));
`,
  'acme.test.ts': `import { describe, expect, it } from 'vitest';
import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import { DeploymentV1 } from '@cdktf/provider-kubernetes/lib/deployment-v1';
import { resourceNamed, secureDefaultViolations, setupCdktfMatchers, synthStack } from 'cdktf-mlops/testing';
import { buildAcmeStack } from './stack';
import { AcmeModel } from './acme-model';

setupCdktfMatchers(expect);

describe('the Acme stack', () => {
  const { text, json } = synthStack((stack) => {
    const platform = buildAcmeStack(stack);
    expect(platform.models.Churn).toBeInstanceOf(AcmeModel);
  });

  it('uses the company providers', () => {
    expect(text).toHaveProviderWithProperties(KubernetesProvider, { config_context: 'acme-prod' });
    expect(text).toHaveResourceWithProperties(DeploymentV1, { metadata: expect.objectContaining({ name: 'churn' }) });
  });

  it('keeps the secure defaults with the sidecar', () => {
    expect(secureDefaultViolations(json)).toEqual([]);
  });

  it('labels every pod with the platform default and pulls with its secret', () => {
    const model = resourceNamed(json, 'kubernetes_deployment_v1', 'churn');
    expect(model.spec.template.metadata.labels['acme.com/env']).toBe('prod');
    expect(model.spec.template.spec.image_pull_secrets).toEqual([{ name: 'acme-registry' }]);
  });

  it('matches the snapshot of the model', () => {
    expect(resourceNamed(json, 'kubernetes_deployment_v1', 'churn').spec.template).toMatchSnapshot();
  });
});
`,
};
