import { mkdirSync, mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MlopsPlatform, type MlopsPlatformProps } from '../../lib/platform/mlops-platform';
import { synthStack, type SynthesizedJson } from '../../lib/testing';
import type { TerraformStack } from '../../lib/core/cdktf';
import { containerOf, literalSecrets, podProcess, podSpecOf, type PodProcess, type SecretResolver } from './pods';
import { freePort, MLFLOW_TEST_ENV, ROOT, runProgram, Service, type Postgres } from './services';

/** The login role of the throwaway PostgreSQL (like the in-cluster `mlflow` user). */
export const DB_ROLE = { name: 'mlflow', password: 'plain-Secret-1' };
export const ADMIN = { username: 'admin', password: 'admin-Pass-1' };
/** A pod IP as kubelet (probes) and Prometheus (scrapes) put it in the Host header. */
export const POD_IP_HOST = '10.244.1.7:5000';

/** Synthesizes a platform (its tracking server and whatever `build` adds). */
export function synthPlatform(props: MlopsPlatformProps, build?: (stack: TerraformStack, platform: MlopsPlatform) => void): { json: SynthesizedJson; platform: MlopsPlatform } {
  let platform!: MlopsPlatform;
  const { json } = synthStack((stack) => {
    platform = new MlopsPlatform(stack, 'Platform', props);
    build?.(stack, platform);
  });
  return { json, platform };
}

/** A tracking server started from the synthesized Deployment, on loopback, against `pg`. */
export interface RunningTracking {
  readonly url: string;
  readonly port: number;
  readonly service: Service;
  readonly init: PodProcess;
  readonly server: PodProcess;
  /** Runs the init container's program once more (e.g. as an upgrade). */
  prepare(): { code: number | null; out: string };
  /** The Secret values given to the pods (the database URI, the admin credentials). */
  readonly secrets: SecretResolver;
  readonly dir: string;
  /** Where the server's mounted Secret keys are, by `<volume>/<path>` (e.g. `database-uri/uri`). */
  readonly mountedFiles: Record<string, string>;
  /** Starts the server container's process once more, as kubelet does when the container exits (the init step does not run again). */
  launch(): Service;
}

/**
 * Writes a file the way kubelet updates a mounted Secret: the new content appears at once, never a
 * half-written file (kubelet swaps a symlink; a rename is as atomic).
 */
export function replaceMountedFile(file: string, content: string): void {
  writeFileSync(`${file}.new`, content);
  renameSync(`${file}.new`, file);
}

/**
 * The container's Secret volumes as files, as kubelet mounts them: each item of each Secret volume
 * the container mounts, written under `dir/<volume>/`. Returns the rewrite of the mount paths and the
 * files by `<volume>/<path>`.
 */
function mountSecretVolumes(pod: any, container: any, secrets: SecretResolver, dir: string) {
  const rewrite: Record<string, string> = {};
  const files: Record<string, string> = {};
  for (const mount of container.volume_mount ?? []) {
    const volume = (pod.volume ?? []).find((v: any) => v.name === mount.name);
    if (!volume?.secret) continue;
    const at = join(dir, volume.name);
    mkdirSync(at);
    for (const item of volume.secret.items ?? []) {
      const value = secrets(volume.secret.secret_name, item.key);
      if (value === undefined) throw new Error(`volume ${volume.name}: no value for Secret ${volume.secret.secret_name} key ${item.key}`);
      files[`${volume.name}/${item.path}`] = join(at, item.path);
      writeFileSync(join(at, item.path), value, { mode: 0o440 });
    }
    rewrite[mount.mount_path] = at;
  }
  return { rewrite, files };
}

/**
 * Starts the tracking server the way its pod does: the init container's command and env first
 * (prepare_tracking.py), then the server container's command (serve_tracking.py running `mlflow
 * server`) with its args and env, with the in-cluster names rewritten: the ConfigMap mount to
 * lib/tracking/scripts, the writable, artifact and Secret mounts (written as kubelet would) to a temp dir, the bind address to loopback and the port to a free one. Secrets
 * that Terraform generates (database URI, admin password, session key) get test values.
 */
export async function startTracking(json: SynthesizedJson, pg: Postgres, database: string, python: string, name = 'mlflow'): Promise<RunningTracking> {
  const dir = mkdtempSync(join(tmpdir(), 'mlops-tracking-'));
  for (const d of ['home', 'auth', 'artifacts']) mkdirSync(join(dir, d));
  const pod = podSpecOf(json, 'kubernetes_deployment_v1', name);
  const uri = `postgresql+psycopg2://${DB_ROLE.name}:${DB_ROLE.password}@127.0.0.1:${pg.port}/${database}`;
  const generated: SecretResolver = (_secret, key) =>
    ({ uri, password: ADMIN.password, username: ADMIN.username, 'flask-secret-key': 'test-session-key-0123456789' } as Record<string, string>)[key];
  const secrets: SecretResolver = (s, k) => literalSecrets(json)(s, k) ?? generated(s, k);
  const rewrite = {
    '/opt/mlops': join(ROOT, 'lib', 'tracking', 'scripts'),
    '/etc/mlflow-auth': join(dir, 'auth'),
    '/tmp': join(dir, 'home'),
    '/mnt/artifacts': join(dir, 'artifacts'),
  };
  const bin = join(python, '..');
  const base = { ...MLFLOW_TEST_ENV, PATH: `${bin}:/usr/bin:/bin` };
  const mounted = mountSecretVolumes(pod, containerOf(pod, 'mlflow'), secrets, dir);
  const init = podProcess(containerOf(pod, 'prepare-database'), [secrets], rewrite);
  const server = podProcess(containerOf(pod, 'mlflow'), [secrets], { ...rewrite, ...mounted.rewrite });
  const port = await freePort();
  const args = [...server.args];
  args[args.indexOf('--host') + 1] = '127.0.0.1';
  args[args.indexOf('--port') + 1] = String(port);

  const prepare = () => runProgram(init.command[0]!, init.command.slice(1).concat(init.args), { ...base, ...init.env }, 300);
  const first = prepare();
  if (first.code !== 0) throw new Error(`prepare_tracking.py exited ${first.code}:\n${first.out}`);
  const launch = () => new Service(server.command[0]!, [...server.command.slice(1), ...args], { env: { ...base, ...server.env } });
  const service = launch();
  const url = `http://127.0.0.1:${port}`;
  try {
    await service.waitFor(`${url}/health`, 180);
  } catch (err) {
    await service.stop();
    throw err;
  }
  return { url, port, service, init, server, prepare, secrets, dir, mountedFiles: mounted.files, launch };
}

/** GET with a Host header (fetch cannot set Host, so this speaks HTTP/1.1 over node:http). */
export async function getWithHost(url: string, host: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return request('GET', url, { ...headers, Host: host });
}

/**
 * One HTTP request on its own connection: no keep-alive, so a server closing an idle connection
 * (uvicorn after 5 s) can never race a reused socket on a loaded machine.
 */
export async function request(method: string, url: string, headers: Record<string, string> = {}, body?: string): Promise<{ status: number; body: string }> {
  const http = await import('node:http');
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { hostname: u.hostname, port: u.port, path: `${u.pathname}${u.search}`, method, headers, agent: false, timeout: 60_000 },
      (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

export function basicAuth(user: string, password: string): Record<string, string> {
  return { Authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` };
}
