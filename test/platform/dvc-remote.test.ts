import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { MlopsPlatform } from '../../lib/platform/mlops-platform';
import { S3ArtifactStore } from '../../lib/aws/s3-artifact-store';
import { ValidationError } from '../../lib/core/errors';
import { synthStack } from '../../lib/testing';
import { allOf, dvcVenv, mlflowVenv, Postgres, requirePostgres } from '../support/services';
import { ADMIN, DB_ROLE, startTracking, synthPlatform, type RunningTracking } from '../support/tracking';
import { itWithTool } from '../support/tools';

const OUTPUT = 'Platform_DvcData_Config_C763FC3A';
const commandsOf = (json: any): string[] => json.output[OUTPUT].value.split('\n');

describe('DvcRemote', () => {
  it('points an http remote at the tracking server\'s artifact proxy, with PUT uploads and basic auth when auth is on', () => {
    const open = synthPlatform({ namespace: 'mlops', monitoring: false }, (_s, p) => p.addDvcRemote('Data')).json;
    expect(commandsOf(open)).toEqual([
      'dvc remote add -d mlops http://mlflow.mlops.svc.cluster.local:5000/api/2.0/mlflow-artifacts/artifacts/dvc',
      'dvc remote modify mlops method PUT',
    ]);
    const exposed = synthPlatform(
      { namespace: 'mlops', monitoring: false, tracking: { ingress: { host: 'mlflow.example.com' } } },
      (_s, p) => p.addDvcRemote('Data', { name: 'storage', prefix: 'data/versions/' }),
    ).json as any;
    expect(exposed.output.Platform_DvcData_Config_C763FC3A.value.split('\n')).toEqual([
      'dvc remote add -d storage https://mlflow.example.com/api/2.0/mlflow-artifacts/artifacts/data/versions',
      'dvc remote modify storage method PUT',
      'dvc remote modify storage auth basic',
    ]);
  });

  it('keeps user strings literal in the output', () => {
    const json = synthPlatform({ namespace: 'mlops', monitoring: false }, (_s, p) => p.addDvcRemote('Data', { trackingUrl: 'https://x.example.com/${path.root}' })).json;
    expect(commandsOf(json)[0]).toBe('dvc remote add -d mlops https://x.example.com/$${path.root}/api/2.0/mlflow-artifacts/artifacts/dvc');
  });

  it('rejects bad input naming the prop, the value and what is allowed', () => {
    const add = (props: object) => () => synthPlatform({ namespace: 'mlops', monitoring: false }, (_s, p) => p.addDvcRemote('Data', props as any));
    expect(add({ prefix: '/abs' })).toThrow(ValidationError);
    expect(add({ prefix: '/abs' })).toThrow(/prefix: got "\/abs"; must be a key prefix/);
    expect(add({ prefix: 'a/../b' })).toThrow(/must not contain "\.\."/);
    expect(add({ roleNames: ['ci'] })).toThrow(/roleNames: is for protocol 's3'/);
    expect(add({ protocol: 's3' })).toThrow(/protocol: got "s3" with a volume artifact store/);
    expect(add({ trackingUrl: 'ftp://x' })).toThrow(/trackingUrl: got "ftp:\/\/x"; must be an http\(s\) URL/);
  });

  it('on S3: an s3 remote under the store prefix, one policy for that prefix only, attached to the named roles', () => {
    const { json } = synthStack((stack) => {
      new AwsProvider(stack, 'Aws', { region: 'eu-west-1' });
      const artifactStore = new S3ArtifactStore(stack, 'Artifacts', { bucketName: 'acme-ml', region: 'eu-west-1' });
      const platform = new MlopsPlatform(stack, 'Platform', { namespace: 'mlops', monitoring: false, artifactStore });
      platform.addDvcRemote('Data', { roleNames: ['ci-role'] });
    });
    const j = json as any;
    expect(commandsOf(j)).toEqual(['dvc remote add -d mlops s3://${aws_s3_bucket.Artifacts_82DD59A1.bucket}/mlflow/dvc', 'dvc remote modify mlops region eu-west-1']);
    const policy = Object.values(j.resource.aws_iam_policy as Record<string, any>).find((p) => p.description.includes('DVC'));
    expect(policy.description).toBe('readwrite on s3://${aws_s3_bucket.Artifacts_82DD59A1.bucket}/mlflow/dvc/* for DVC remote mlops');
    expect(Object.values(j.resource.aws_iam_role_policy_attachment)).toEqual([expect.objectContaining({ role: 'ci-role' })]);
    expect(() => synthStack((stack) => {
      new AwsProvider(stack, 'Aws', { region: 'eu-west-1' });
      const artifactStore = new S3ArtifactStore(stack, 'Artifacts', { bucketName: 'acme-ml', region: 'eu-west-1' });
      new MlopsPlatform(stack, 'Platform', { namespace: 'mlops', monitoring: false, artifactStore }).addDvcRemote('Data', { roleNames: ['arn:aws:iam::1:role/x'] });
    })).toThrow(/roleNames\[0\]: got "arn:aws:iam::1:role\/x"; must be an IAM role name/);
  });
});

/**
 * The seed's data-versioning flow with the real tools: DVC 3.67 (pinned venv,
 * requirements/dvc-tests.txt) configured by exactly the commands of the synthesized output, against
 * the tracking server started from its synthesized pod (real MLflow 3.17 with built-in auth, real
 * PostgreSQL). The only rewrite is the in-cluster URL to the loopback port the test server listens on.
 */
describe('DvcRemote with real DVC against the real MLflow artifact proxy', () => {
  const mlflow = mlflowVenv();
  const dvcTool = dvcVenv();
  const tools = allOf(mlflow.check, dvcTool.check, requirePostgres());
  let pg: Postgres | undefined;
  let tracking: RunningTracking | undefined;
  const repo = mkdtempSync(join(tmpdir(), 'dvc-repo-'));
  const home = mkdtempSync(join(tmpdir(), 'dvc-home-'));

  beforeAll(async () => {
    if (tools.available) pg = await Postgres.start(DB_ROLE);
  }, 120_000);
  afterAll(async () => {
    await tracking?.service.stop('SIGTERM', 15);
    if (tracking) rmSync(tracking.dir, { recursive: true, force: true });
    pg?.stop();
    for (const d of [repo, home]) rmSync(d, { recursive: true, force: true });
  }, 120_000);

  const env = { ...process.env, DVC_NO_ANALYTICS: '1', HOME: home, XDG_CONFIG_HOME: join(home, '.config'), DVC_SITE_CACHE_DIR: join(home, 'dvc-site'), GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.com' };
  function sh(cmd: string, args: string[]): { code: number | null; out: string } {
    const r = spawnSync(cmd === 'dvc' ? dvcTool.dvc : cmd, args, { cwd: repo, env, encoding: 'utf8', timeout: 120_000 });
    return { code: r.status, out: `${r.stdout}${r.stderr}` };
  }
  function ok(cmd: string, ...args: string[]): string {
    const r = sh(cmd, args);
    expect(r.code, `${cmd} ${args.join(' ')}\n${r.out}`).toBe(0);
    return r.out;
  }

  itWithTool(tools, 'dvc add, git commit, dvc push and dvc pull through the proxy, with the tracking server\'s credentials', async () => {
    const { json } = synthPlatform({ namespace: 'mlops', monitoring: false, tracking: { auth: { enabled: true } } }, (_s, p) => p.addDvcRemote('Data'));
    pg!.sql(`CREATE DATABASE tracking_dvc OWNER ${DB_ROLE.name}`);
    tracking = await startTracking(json, pg!, 'tracking_dvc', mlflow.python);
    const commands = commandsOf(json);
    expect(commands[2]).toBe('dvc remote modify mlops auth basic');

    ok('git', 'init', '-q');
    ok('dvc', 'init', '-q');
    // The output's commands, as a user pastes them, the in-cluster URL mapped to the test server.
    for (const line of commands) {
      const [tool, ...args] = line.replaceAll('http://mlflow.mlops.svc.cluster.local:5000', tracking.url).split(' ');
      ok(tool!, ...args);
    }
    const data = 'customer_id,tenure_months,churned\n1,12,0\n2,3,1\n';
    writeFileSync(join(repo, 'data.csv'), data);
    ok('dvc', 'add', 'data.csv');
    ok('git', 'add', 'data.csv.dvc', '.gitignore', '.dvc/config');
    ok('git', 'commit', '-q', '-m', 'data v1');

    // Without credentials the proxy refuses the upload: auth is really in the way.
    const denied = sh('dvc', ['push']);
    expect(denied.code, denied.out).not.toBe(0);
    expect(denied.out).toMatch(/401|Unauthorized|auth/i);

    // Credentials go to .dvc/config.local, never committed (as the workflows do).
    ok('dvc', 'remote', 'modify', '--local', 'mlops', 'user', ADMIN.username);
    ok('dvc', 'remote', 'modify', '--local', 'mlops', 'password', ADMIN.password);
    expect(ok('git', 'status', '--porcelain')).toBe('');
    expect(ok('dvc', 'push')).toContain('1 file pushed');

    // The object sits in the artifact store under dvc/, next to MLflow's experiments.
    const md5 = /md5: ([0-9a-f]{32})/.exec(readFileSync(join(repo, 'data.csv.dvc'), 'utf8'))![1]!;
    const stored = join(tracking.dir, 'artifacts', 'dvc', 'files', 'md5', md5.slice(0, 2), md5.slice(2));
    expect(existsSync(stored), readdirSync(join(tracking.dir, 'artifacts')).join(',')).toBe(true);
    expect(readFileSync(stored, 'utf8')).toBe(data);

    // A fresh clone's view: no cache, no file; dvc pull brings the committed version back.
    rmSync(join(repo, '.dvc', 'cache'), { recursive: true, force: true });
    rmSync(join(repo, 'data.csv'));
    ok('dvc', 'pull');
    expect(readFileSync(join(repo, 'data.csv'), 'utf8')).toBe(data);
    expect(ok('dvc', 'status', '--cloud')).toContain('in sync');
  }, 300_000);
});

describe('DvcRemote on S3 with real DVC', () => {
  const dvcTool = dvcVenv();
  // No S3 here (no AWS account, no network): DVC reads and validates the configuration the output's
  // commands write (an unknown option or a bad URL fails `dvc remote modify`); pushes need a bucket.
  itWithTool(dvcTool.check, 'accepts the output\'s commands as an s3 remote configuration', () => {
    const { json } = synthStack((stack) => {
      new AwsProvider(stack, 'Aws', { region: 'eu-west-1' });
      const artifactStore = new S3ArtifactStore(stack, 'Artifacts', { bucketName: 'acme-ml', region: 'eu-west-1' });
      new MlopsPlatform(stack, 'Platform', { namespace: 'mlops', monitoring: false, artifactStore }).addDvcRemote('Data');
    });
    const repo = mkdtempSync(join(tmpdir(), 'dvc-s3-'));
    const env = { ...process.env, DVC_NO_ANALYTICS: '1', HOME: repo, XDG_CONFIG_HOME: join(repo, '.config'), DVC_SITE_CACHE_DIR: join(repo, '.site') };
    const dvc = (...args: string[]) => {
      const r = spawnSync(dvcTool.dvc, args, { cwd: repo, env, encoding: 'utf8' });
      expect(r.status, `dvc ${args.join(' ')}\n${r.stdout}${r.stderr}`).toBe(0);
      return r.stdout;
    };
    dvc('init', '--no-scm', '-q');
    // Terraform fills in the bucket name at apply; here it is the name the store was given.
    for (const line of commandsOf(json)) dvc(...line.replace('${aws_s3_bucket.Artifacts_82DD59A1.bucket}', 'acme-ml').split(' ').slice(1));
    expect(dvc('remote', 'list').trim()).toMatch(/^mlops\s+s3:\/\/acme-ml\/mlflow\/dvc\s*\(default\)$/);
    expect(readFileSync(join(repo, '.dvc', 'config'), 'utf8')).toMatch(/\['remote "mlops"'\]\n\s*url = s3:\/\/acme-ml\/mlflow\/dvc\n\s*region = eu-west-1/);
    const bad = spawnSync(dvcTool.dvc, ['remote', 'modify', 'mlops', 'regio', 'eu-west-1'], { cwd: repo, env, encoding: 'utf8' });
    expect(bad.status).not.toBe(0); // DVC does validate the options
    rmSync(repo, { recursive: true, force: true });
  });
});

it('the requirements of the DVC venv pin every package', () => {
  const lines = readFileSync(join(__dirname, '..', '..', 'requirements', 'dvc-tests.txt'), 'utf8').split('\n').filter((l) => l && !l.startsWith('#'));
  expect(lines.filter((l) => !/^[A-Za-z0-9._-]+(\[[a-z,]+\])?==\S+$/.test(l))).toEqual([]);
  expect(lines).toContain('dvc==3.67.1');
});
