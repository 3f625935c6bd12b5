import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join, resolve } from 'node:path';
import { TOOLS_HOME } from './real-tools-env';
import type { ToolCheck } from './tools';

/**
 * The apply tier's control plane (scripts/apply-tier/local-cluster.sh): etcd, kube-apiserver and
 * kube-controller-manager built from the Go module proxy by scripts/apply-tier/build-*.sh.
 */
const SCRIPTS = resolve(__dirname, '../../scripts/apply-tier');
const BINARIES = [
  join(TOOLS_HOME, 'apply-tier', 'etcd-v3.6.16', 'etcd'),
  join(TOOLS_HOME, 'apply-tier', 'v1.34.3', 'kube-apiserver'),
  join(TOOLS_HOME, 'apply-tier', 'v1.34.3', 'kube-controller-manager'),
];

export function requireControlPlane(): ToolCheck {
  const missing = BINARIES.filter((b) => !existsSync(b));
  return missing.length === 0
    ? { available: true, reason: '' }
    : { available: false, reason: `no ${missing.join(', ')}: run scripts/apply-tier/build-etcd.sh and build-apiserver.sh (about 35 min cold)` };
}

/** Starts the control plane with its files in `dir`; returns a client of its API as the admin. */
export function startControlPlane(dir: string): KubeApi {
  const run = spawnSync('bash', [join(SCRIPTS, 'local-cluster.sh'), 'start', dir], { encoding: 'utf8', timeout: 300_000 });
  if (run.status !== 0) throw new Error(`local-cluster.sh start failed (${run.status}):\n${run.stdout}\n${run.stderr}`);
  const env = Object.fromEntries(
    readFileSync(join(dir, 'cluster.env'), 'utf8').trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
  return new KubeApi(env.KUBE_SERVER!, env.KUBE_TOKEN!, readFileSync(env.KUBE_CA!, 'utf8'), join(dir, 'kubeconfig'));
}

export function stopControlPlane(dir: string): void {
  spawnSync('bash', [join(SCRIPTS, 'local-cluster.sh'), 'stop', dir], { stdio: 'inherit', timeout: 120_000 });
}

/** A response of the API server: status code and parsed JSON body. */
export interface KubeResponse {
  readonly status: number;
  readonly body: any;
}

/** A minimal client of the Kubernetes REST API (bearer token, the cluster's CA). */
export class KubeApi {
  constructor(
    public readonly server: string,
    private readonly token: string,
    private readonly ca: string,
    /** An admin kubeconfig for this API server. */
    public readonly kubeconfig: string,
  ) {}

  public call(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<KubeResponse> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((done, fail) => {
      const req = request(
        `${this.server}${path}`,
        {
          method,
          ca: this.ca,
          headers: { Authorization: `Bearer ${this.token}`, Accept: 'application/json', ...(payload ? { 'Content-Type': contentType } : {}) },
          timeout: 30_000,
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (text += c));
          res.on('end', () => {
            let parsed: unknown = text;
            try {
              parsed = JSON.parse(text);
            } catch {
              // not JSON: keep the text
            }
            done({ status: res.statusCode ?? 0, body: parsed });
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
      req.on('error', fail);
      if (payload) req.write(payload);
      req.end();
    });
  }

  /** GET that must succeed. */
  public async get(path: string): Promise<any> {
    const res = await this.call('GET', path);
    if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }
}
