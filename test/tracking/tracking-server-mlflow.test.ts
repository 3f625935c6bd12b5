import { afterAll, beforeAll, describe, expect } from 'vitest';
import { execFileSync, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { itWithTool } from '../support/tools';
import { allOf, mlflowVenv, MLFLOW_TEST_ENV, Postgres, requirePostgres } from '../support/services';
import { ADMIN, basicAuth, DB_ROLE, getWithHost, POD_IP_HOST, startTracking, synthPlatform, type RunningTracking } from '../support/tracking';

/**
 * The tracking server started the way its pod starts it, with real MLflow 3.17.0 (the version of
 * the image we deploy, from the pinned venv) and a real PostgreSQL (Debian's, a throwaway cluster):
 * the init container's prepare_tracking.py (fresh, then as an upgrade by two replicas at once, under
 * its advisory lock), then `mlflow server` with the synthesized args and env. The probes, the
 * Prometheus scrape and the Host check must answer as the cluster expects.
 */

const venv = mlflowVenv();
const tools = allOf(venv.check, requirePostgres());
let pg: Postgres | undefined;
const running: RunningTracking[] = [];

beforeAll(async () => {
  if (tools.available) pg = await Postgres.start(DB_ROLE);
}, 120_000);
afterAll(async () => {
  await Promise.all(running.map((r) => r.service.stop('SIGTERM', 15)));
  for (const r of running) rmSync(r.dir, { recursive: true, force: true });
  pg?.stop();
}, 120_000);

/** Runs the init program twice at once, as two replicas starting together would. */
async function prepareTwiceAtOnce(t: RunningTracking): Promise<{ code: number | null; out: string }[]> {
  const bin = dirname(venv.python);
  const one = () =>
    new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn(t.init.command[0]!, t.init.command.slice(1), { env: { ...MLFLOW_TEST_ENV, PATH: `${bin}:/usr/bin:/bin`, ...t.init.env } });
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (out += d));
      child.on('close', (code) => resolve({ code, out }));
    });
  return Promise.all([one(), one()]);
}

describe.each([
  { auth: false, database: 'tracking_open' },
  { auth: true, database: 'tracking_auth' },
])('tracking server from its synthesized pod (auth $auth), real MLflow and PostgreSQL', ({ auth, database }) => {
  itWithTool(tools, 'prepares a fresh schema, upgrades it under the lock, and serves the probes, metrics and Host check', async () => {
    const { json } = synthPlatform({ namespace: 'mlops', monitoring: false, tracking: { auth: { enabled: auth } } });
    pg!.sql(`CREATE DATABASE ${database} OWNER ${DB_ROLE.name}`);
    const t = await startTracking(json, pg!, database, venv.python);
    running.push(t);
    expect(pg!.sql('SELECT count(*) FROM alembic_version', database)).toBe('1');
    if (auth) expect(pg!.sql("SELECT count(*) FROM users WHERE username = 'admin'", 'mlflow_auth')).toBe('1');

    // Upgrade: two more init runs at once (a rollout of two replicas); both wait for the lock and succeed.
    const upgrades = await prepareTwiceAtOnce(t);
    for (const u of upgrades) expect(u.code, u.out).toBe(0);
    expect(upgrades.map((u) => u.out).join('\n')).not.toContain('initialised a fresh tracking database');
    expect(pg!.sql('SELECT count(*) FROM alembic_version', database)).toBe('1');

    // Probes: kubelet sends the pod IP as Host and no credentials, also with auth on.
    for (const host of [POD_IP_HOST, 'mlflow.mlops.svc.cluster.local:5000', 'mlflow:5000', 'localhost:5000']) {
      const health = await getWithHost(`${t.url}/health`, host);
      expect(health.status, `${host}: ${health.body}`).toBe(200);
    }

    const creds = auth ? basicAuth(ADMIN.username, ADMIN.password) : {};
    // Clients in the namespace call the Service name; with auth they need credentials.
    const search = `${t.url}/api/2.0/mlflow/experiments/search?max_results=10`;
    const api = await getWithHost(search, 'mlflow.mlops.svc.cluster.local:5000', creds);
    expect(api.status, api.body).toBe(200);
    expect(JSON.parse(api.body).experiments.map((e: any) => e.name)).toContain('Default');
    if (auth) expect((await getWithHost(search, 'mlflow.mlops.svc.cluster.local:5000')).status).toBe(401);

    // Prometheus scrapes /metrics by pod IP (the API calls above are counted there); with auth on it sends the admin Secret's credentials.
    const metrics = await getWithHost(`${t.url}/metrics`, POD_IP_HOST, creds);
    expect(metrics.status, metrics.body).toBe(200);
    expect(metrics.body).toMatch(/^mlflow_http_request_total\{/m);
    expect(metrics.body).toContain('mlflow_http_request_duration_seconds_bucket');
    if (auth) expect((await getWithHost(`${t.url}/metrics`, POD_IP_HOST)).status).toBe(401);

    // The Host check (MLFLOW_SERVER_ALLOWED_HOSTS): a name the server does not know is refused.
    const rebinding = await getWithHost(search, 'attacker.example.com', creds);
    expect(rebinding.status, rebinding.body).toBe(403);
    expect(t.server.env.MLFLOW_SERVER_ALLOWED_HOSTS).toContain('10.*');
    // The pod runs no MLflow job runner (huey consumers) beside the API: only the server and its workers.
    const group = execFileSync('ps', ['-eo', 'pgid=,args='], { encoding: 'utf8' }).split('\n')
      .filter((line) => line.trim().split(/\s+/)[0] === String(t.service.child.pid));
    expect(group.length, group.join('\n')).toBeGreaterThan(1);
    expect(group.filter((line) => /huey|_job_runner/.test(line))).toEqual([]);
  }, 300_000);
});
