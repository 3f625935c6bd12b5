import { afterAll, beforeAll, describe, expect } from 'vitest';
import { rmSync } from 'node:fs';
import { itWithTool } from '../support/tools';
import { allOf, mlflowVenv, Postgres, requirePostgres, runProgram, type Service } from '../support/services';
import { ADMIN, basicAuth, DB_ROLE, replaceMountedFile, request, startTracking, synthPlatform, type RunningTracking } from '../support/tracking';

/**
 * A rotated database password reaches the running tracking server: the server container, started
 * from its synthesized pod with real MLflow 3.17.0 (the image's version, from the pinned venv) and a
 * real PostgreSQL (Debian's, its own throwaway cluster, as the role's password changes), reads the URI
 * from the mounted Secret; when the password changes in PostgreSQL and in the mounted file (as RDS
 * rotation, External Secrets and kubelet do it), serve_tracking.py stops the server and exits 0, and
 * the container's next start (kubelet restarts it; the init step does not run again) serves with the
 * new password, the auth app's database connection included.
 */

const venv = mlflowVenv();
const tools = allOf(venv.check, requirePostgres());
let pg: Postgres | undefined;
let tracking: RunningTracking | undefined;
const services: Service[] = [];
const ROTATED = 'rotated-Secret-2%:@';

beforeAll(async () => {
  if (tools.available) pg = await Postgres.start(DB_ROLE);
}, 120_000);
afterAll(async () => {
  await Promise.all(services.map((s) => s.stop('SIGTERM', 15)));
  if (tracking) rmSync(tracking.dir, { recursive: true, force: true });
  pg?.stop();
}, 120_000);

/** Whether `password` logs the role in over TCP (scram-sha-256), with psycopg2 from the venv. */
function canLogIn(password: string): boolean {
  const code = `import psycopg2, sys\ntry:\n    psycopg2.connect(host="127.0.0.1", port=${pg!.port}, dbname="tracking", user="${DB_ROLE.name}", password=sys.argv[1], connect_timeout=5).close()\nexcept psycopg2.OperationalError:\n    sys.exit(1)`;
  return runProgram(venv.python, ['-c', code, password], {}, 30).code === 0;
}

async function waitForExit(service: Service, seconds: number): Promise<number | null> {
  const deadline = Date.now() + seconds * 1000;
  while (service.child.exitCode === null && service.child.signalCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  return service.child.exitCode;
}

describe('tracking server: a rotated database password, real MLflow and PostgreSQL', () => {
  itWithTool(tools, 'restarts on the new credentials from the mounted Secret and serves with them, auth included', async () => {
    const { json } = synthPlatform({ namespace: 'mlops', monitoring: false, tracking: { auth: { enabled: true } } });
    pg!.sql(`CREATE DATABASE tracking OWNER ${DB_ROLE.name}`);
    tracking = await startTracking(json, pg!, 'tracking', venv.python);
    services.push(tracking.service);
    const creds = basicAuth(ADMIN.username, ADMIN.password);
    const api = (path: string, body?: unknown) =>
      request(body ? 'POST' : 'GET', `${tracking!.url}/api/2.0/mlflow/${path}`, { ...creds, 'Content-Type': 'application/json' }, body ? JSON.stringify(body) : undefined);
    const before = await api('experiments/create', { name: 'before-rotation' });
    expect(before.status, before.body).toBe(200);

    // The rotation: the role's password changes in PostgreSQL, then in the mounted Secret.
    const file = tracking.mountedFiles['database-uri/uri']!;
    expect(file).toBeDefined();
    const rotatedUri = `postgresql+psycopg2://${DB_ROLE.name}:${encodeURIComponent(ROTATED)}@127.0.0.1:${pg!.port}/tracking`;
    pg!.sql(`ALTER ROLE ${DB_ROLE.name} PASSWORD '${ROTATED}'`);
    expect(canLogIn(DB_ROLE.password)).toBe(false);
    expect(canLogIn(ROTATED)).toBe(true);
    replaceMountedFile(file, rotatedUri);

    // The wrapper notices within its poll interval (10 s; no jitter with one replica) and stops gracefully.
    const code = await waitForExit(tracking.service, 60);
    expect(code, tracking.service.output).toBe(0);
    expect(tracking.service.output).toContain('the database credentials changed');
    expect(tracking.service.output).not.toContain(ROTATED);
    expect(tracking.service.output).not.toContain(encodeURIComponent(ROTATED));

    // kubelet starts the container again: the server connects with the new password, for tracking and auth.
    const again = tracking.launch();
    services.push(again);
    await again.waitFor(`${tracking.url}/health`, 180);
    const created = await api('experiments/create', { name: 'after-rotation' });
    expect(created.status, `${created.body}\n${again.output}`).toBe(200);
    const listed = await api('experiments/search?max_results=10');
    expect(listed.status, listed.body).toBe(200);
    expect(JSON.parse(listed.body).experiments.map((e: any) => e.name)).toEqual(expect.arrayContaining(['before-rotation', 'after-rotation']));
    // Auth reads its users from the auth database with the new password too: a wrong password is still refused.
    expect((await request('GET', `${tracking.url}/api/2.0/mlflow/experiments/search?max_results=1`, basicAuth(ADMIN.username, 'wrong'))).status).toBe(401);
    expect(again.output).not.toMatch(/password authentication failed/);
  }, 400_000);
});
