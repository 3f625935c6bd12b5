import { Construct } from 'constructs';
import { z } from 'zod';
import { IamRolePolicyAttachment } from '@cdktf/provider-aws/lib/iam-role-policy-attachment';
import type { IamPolicy } from '@cdktf/provider-aws/lib/iam-policy';
import { TerraformOutput } from '../core/cdktf';
import { fail } from '../core/errors';
import { parseProps } from '../core/props';
import { k8sName } from '../core/validators';
import { allowEgressTargets } from '../cluster/mlops-namespace';
import { S3ArtifactStoreBase } from '../aws/s3-artifact-store-base';
import type { TrainingJob } from '../training/training-job';
import type { MlopsPlatform } from './mlops-platform';

/** How DVC reaches the remote. */
export type DvcRemoteProtocol = 'proxy' | 's3';

/** Properties of a {@link DvcRemote}. */
export interface DvcRemoteProps {
  /** The platform whose artifact store holds the data. */
  readonly platform: MlopsPlatform;
  /**
   * Name of the remote in `dvc remote add -d <name>`.
   * @default 'mlops'
   */
  readonly name?: string;
  /**
   * Key prefix of the data inside the artifact store (next to MLflow's experiment folders).
   * @default 'dvc'
   */
  readonly prefix?: string;
  /**
   * `proxy`: DVC's `http` remote on the tracking server's artifact proxy
   * (`/api/2.0/mlflow-artifacts/artifacts/<prefix>`, uploads with `PUT`), with the tracking server's
   * credentials; works with every artifact store. `s3`: the bucket itself (`s3://bucket/<store
   * prefix>/<prefix>`), for an S3 artifact store, with an IAM policy scoped to the prefix.
   * @default - 's3' on an S3 artifact store, else 'proxy'
   */
  readonly protocol?: DvcRemoteProtocol;
  /**
   * Base URL of the tracking server as DVC's users reach it (protocol `proxy`).
   * @default - `https://<tracking ingress host>` when the tracking server is exposed, else its in-cluster URI
   */
  readonly trackingUrl?: string;
  /**
   * Names of existing IAM roles (e.g. the CI's GitHub OIDC role) that get read/write on the prefix,
   * and only on it (protocol `s3`).
   * @default - none; attach {@link DvcRemote.policy} yourself
   */
  readonly roleNames?: string[];
  /**
   * Training jobs whose pods `dvc pull` (and push) from the bucket directly: their role gets the
   * prefix policy and their pods egress to S3 (protocol `s3`). Over the proxy, training pods need
   * nothing: they are tracking-server clients already.
   * @default - none
   */
  readonly trainingJobs?: TrainingJob[];
}

const iamRoleName = z.string().regex(/^[\w+=,.@-]{1,64}$/, { message: 'must be an IAM role name (1-64 of letters, digits and +=,.@_-), not an ARN' });

const schema = z.strictObject({
  platform: z.custom<MlopsPlatform>((v) => typeof v === 'object' && v !== null && 'artifactStore' in v && 'trackingServer' in v, {
    message: 'must be an MlopsPlatform',
  }),
  name: k8sName.default('mlops'),
  prefix: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._/-]*$/, { message: 'must be a key prefix of letters, digits and ._-/ without a leading "/" (e.g. "dvc")' })
    .refine((v) => !v.split('/').includes('..'), { message: 'must not contain ".."' })
    .default('dvc'),
  protocol: z.enum(['proxy', 's3']).optional(),
  trackingUrl: z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' }).optional(),
  roleNames: z.array(iamRoleName).optional(),
  trainingJobs: z.array(z.custom<TrainingJob>((v) => typeof v === 'object' && v !== null && 'identity' in v && 'podLabels' in v, { message: 'must be a TrainingJob' })).optional(),
});

/**
 * The platform's artifact store as a DVC remote for data versioning: `dvc add data.csv`,
 * `git commit data.csv.dvc`, `dvc push` puts the data under one prefix of the store, next to the
 * runs and models that were trained on it. The `dvc remote add` commands are this construct's stack
 * output `Config` (`cdktf output`), and {@link commands} for code.
 */
export class DvcRemote extends Construct {
  /** The remote's name. */
  public readonly remoteName: string;
  public readonly protocol: DvcRemoteProtocol;
  /** The remote's URL (`https://.../api/2.0/mlflow-artifacts/artifacts/dvc` or `s3://bucket/mlflow/dvc`). */
  public readonly url: string;
  /** The commands that configure the remote in a repo (`dvc remote add -d ...`, `dvc remote modify ...`). */
  public readonly commands: string[];
  /** Read/write on the prefix and nothing else (protocol `s3`). */
  public readonly policy?: IamPolicy;
  /** The output holding {@link commands}, one per line. */
  public readonly output: TerraformOutput;

  constructor(scope: Construct, id: string, props: DvcRemoteProps) {
    super(scope, id);
    const p = parseProps(schema, props, this);
    const platform = p.platform as MlopsPlatform;
    const store = platform.artifactStore;
    const prefix = p.prefix.replace(/\/+$/, '');
    this.remoteName = p.name;
    this.protocol = p.protocol ?? (store instanceof S3ArtifactStoreBase ? 's3' : 'proxy');
    const s3Only = (prop: string) => fail(this.node.path, prop, `is for protocol 's3' (the bucket itself); over the proxy the tracking server's credentials and network allows apply`);
    if (this.protocol === 'proxy') {
      if (p.roleNames?.length) s3Only('roleNames');
      if (p.trainingJobs?.length) s3Only('trainingJobs');
      const base = (p.trackingUrl ?? platform.trackingServer.externalUri ?? platform.trackingUri).replace(/\/+$/, '');
      this.url = `${base}/api/2.0/mlflow-artifacts/artifacts/${prefix}`;
      this.commands = [
        `dvc remote add -d ${p.name} ${this.url}`,
        // MLflow's artifact proxy takes uploads as PUT (DVC's http remote posts by default).
        `dvc remote modify ${p.name} method PUT`,
        ...(platform.trackingServer.authEnabled ? [`dvc remote modify ${p.name} auth basic`] : []),
      ];
    } else {
      if (!(store instanceof S3ArtifactStoreBase)) {
        fail(this.node.path, 'protocol', `got "s3" with a ${store.kind} artifact store; "s3" needs an S3ArtifactStore (or one from S3ArtifactStore.fromBucketName); use "proxy"`);
      }
      if (p.trackingUrl) fail(this.node.path, 'trackingUrl', `is for protocol 'proxy'; DVC talks to the bucket directly with 's3'`);
      this.url = store.uriOf(prefix);
      this.commands = [`dvc remote add -d ${p.name} ${this.url}`, `dvc remote modify ${p.name} region ${store.region}`];
      this.policy = store.prefixPolicy(this, 'Prefix', { access: 'readwrite', prefix: `${prefix}/`, grantee: `DVC remote ${p.name}` });
      (p.roleNames ?? []).forEach((role, i) => new IamRolePolicyAttachment(this, `Role${i}`, { role, policyArn: this.policy!.arn }));
      (p.trainingJobs as TrainingJob[] | undefined ?? []).forEach((job, i) => {
        job.identity.attachPolicy(`${this.node.id}${i}`, this.policy!.arn); // unique per remote and job
        allowEgressTargets(platform.namespace, new Construct(this, `Training${i}`), `${job.jobName}-dvc`, job.podLabels, store.egress);
      });
    }
    this.output = new TerraformOutput(this, 'Config', {
      value: this.commands.join('\n'),
      description: `Run in a data repo to use the platform's artifact store as DVC remote "${p.name}" (then dvc add, git commit, dvc push).`,
    });
  }
}

/** The props' zod schema, composed by the platform spec (lib/spec/spec-schema.ts). @internal */
export const dvcRemoteSchema = schema;
