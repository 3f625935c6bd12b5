import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireTool, type ToolCheck } from './tools';

/*
 * Real servers for the tests that run our pod programs: a throwaway PostgreSQL cluster
 * (Debian's postgresql), the Pushgateway (Debian's prometheus-pushgateway), and the pinned
 * Python venv with MLflow (scripts/ci/python-venv.sh). Nothing here stands in for a tool.
 */

export const ROOT = join(__dirname, '..', '..');
export const PUSHGATEWAY = '/usr/bin/prometheus-pushgateway';

/** Every check at once: available when all are. */
export function allOf(...checks: ToolCheck[]): ToolCheck {
  return { available: checks.every((c) => c.available), reason: checks.filter((c) => !c.available).map((c) => c.reason).join('; ') };
}

/** The python of the venv built from requirements/mlflow-tests.txt, and whether it is there. */
export function mlflowVenv(): { python: string; check: ToolCheck } {
  const python = execFileSync(join(ROOT, 'scripts', 'ci', 'python-venv.sh'), ['--print-path'], { encoding: 'utf8' }).trim();
  const probe = requireTool(python, ['-c', 'import mlflow, sklearn, pandas, pyarrow, psycopg2, prometheus_client, uvicorn']);
  return {
    python,
    check: probe.available ? probe : { available: false, reason: `${probe.reason} (build it with scripts/ci/python-venv.sh)` },
  };
}

/** The pinned venv with real DVC (requirements/dvc-tests.txt), and whether it is built. */
export function dvcVenv(): { dvc: string; check: ToolCheck } {
  const python = execFileSync(join(ROOT, 'scripts', 'ci', 'python-venv.sh'), ['--print-path', 'dvc-tests'], { encoding: 'utf8' }).trim();
  const dvc = join(python, '..', 'dvc');
  // Its presence in a completed venv only: `dvc --version` imports all of DVC, which can outlast a probe's timeout on a busy machine.
  const built = existsSync(dvc) && existsSync(join(python, '..', '..', '.complete'));
  return { dvc, check: built ? { available: true, reason: '' } : { available: false, reason: `${dvc} not found (build it with scripts/ci/python-venv.sh dvc-tests)` } };
}

/** Environment every MLflow process of the tests gets. */
export const MLFLOW_TEST_ENV = { MLFLOW_DISABLE_TELEMETRY: 'true', DO_NOT_TRACK: 'true', PYTHONDONTWRITEBYTECODE: '1', PYTHONUNBUFFERED: '1' };

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** A started process with its output collected, for error messages. */
export class Service {
  public output = '';
  public readonly child: ChildProcess;
  constructor(command: string, args: string[], options: { env: Record<string, string>; cwd?: string }) {
    this.child = spawn(command, args, { env: options.env, cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    this.child.stdout!.on('data', (d) => (this.output += d));
    this.child.stderr!.on('data', (d) => (this.output += d));
  }

  /** Polls `url` until `ok(status)`; throws with the output when the process exits or time runs out. */
  public async waitFor(url: string, seconds: number, ok: (status: number) => boolean = (s) => s === 200, headers: Record<string, string> = {}): Promise<void> {
    const deadline = Date.now() + seconds * 1000;
    while (Date.now() < deadline) {
      if (this.child.exitCode !== null) throw new Error(`exited with ${this.child.exitCode} before ${url} answered:\n${this.output}`);
      try {
        const res = await fetch(url, { headers, signal: AbortSignal.timeout(2000) });
        if (ok(res.status)) return;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`${url} did not answer within ${seconds} s:\n${this.output}`);
  }

  /** SIGTERM to the process group (uvicorn/gunicorn workers included), then wait for the exit. */
  public async stop(signal: NodeJS.Signals = 'SIGTERM', seconds = 30): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      try {
        process.kill(-this.child.pid!, signal);
      } catch {
        // already gone
      }
      const deadline = Date.now() + seconds * 1000;
      while (this.child.exitCode === null && this.child.signalCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      if (this.child.exitCode === null && this.child.signalCode === null) process.kill(-this.child.pid!, 'SIGKILL');
    }
    return this.child.exitCode;
  }
}

/** Runs a program to completion. */
export function runProgram(command: string, args: string[], env: Record<string, string>, timeoutSeconds = 300): { code: number | null; out: string } {
  const res = spawnSync(command, args, { env, encoding: 'utf8', timeout: timeoutSeconds * 1000 });
  return { code: res.status, out: `${res.stdout ?? ''}${res.stderr ?? ''}${res.error ? String(res.error) : ''}` };
}

function postgresBin(): string | undefined {
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return undefined;
  const versions = readdirSync(base).filter((v) => existsSync(join(base, v, 'bin', 'initdb'))).sort((a, b) => Number(a) - Number(b));
  return versions.length ? join(base, versions.at(-1)!, 'bin') : undefined;
}

export function requirePostgres(): ToolCheck {
  const bin = postgresBin();
  return bin ? requireTool(join(bin, 'initdb'), ['--version']) : { available: false, reason: 'no PostgreSQL server under /usr/lib/postgresql/*/bin (apt-get install postgresql)' };
}

/**
 * A throwaway PostgreSQL cluster on loopback (initdb + pg_ctl in a temp dir, as the `postgres`
 * system user when running as root, since postgres refuses root), with a login role that may
 * create databases, like the in-cluster `mlflow` user or the RDS master user.
 */
export class Postgres {
  public readonly port: number;
  private readonly base: string;
  private readonly asPg: string[];
  private readonly bin: string;

  private constructor(port: number) {
    this.port = port;
    this.bin = postgresBin()!;
    this.base = mkdtempSync(join(tmpdir(), 'mlops-pg-'));
    this.asPg = process.getuid?.() === 0 ? ['runuser', '-u', 'postgres', '--'] : [];
  }

  public static async start(role: { name: string; password: string }): Promise<Postgres> {
    const pg = new Postgres(await freePort());
    mkdirSync(join(pg.base, 'sock'));
    if (pg.asPg.length) {
      const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }));
      const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }));
      for (const p of [pg.base, join(pg.base, 'sock')]) chownSync(p, uid, gid);
    }
    pg.run(join(pg.bin, 'initdb'), ['-D', pg.data, '-U', 'postgres', '-E', 'UTF8', '--no-locale', '--auth-local=trust', '--auth-host=scram-sha-256', '--no-sync']);
    const options = `-c listen_addresses=127.0.0.1 -c port=${pg.port} -k ${join(pg.base, 'sock')} -c fsync=off -c max_connections=200`;
    pg.run(join(pg.bin, 'pg_ctl'), ['-D', pg.data, '-l', join(pg.base, 'postgres.log'), '-o', options, '-w', '-t', '30', 'start']);
    pg.sql(`CREATE ROLE ${role.name} LOGIN CREATEDB PASSWORD '${role.password}'`);
    return pg;
  }

  private get data(): string {
    return join(this.base, 'data');
  }

  private run(command: string, args: string[]): string {
    const [cmd, ...rest] = [...this.asPg, command, ...args];
    const res = spawnSync(cmd!, rest, { encoding: 'utf8', timeout: 60_000 });
    if (res.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${res.stdout}${res.stderr}`);
    return res.stdout;
  }

  /** Runs SQL as the superuser over the Unix socket; returns psql's unaligned output. */
  public sql(statement: string, database = 'postgres'): string {
    return this.run(join(this.bin, 'psql'), ['-h', join(this.base, 'sock'), '-p', String(this.port), '-U', 'postgres', '-d', database, '-v', 'ON_ERROR_STOP=1', '-At', '-c', statement]).trim();
  }

  public stop(): void {
    spawnSync(this.asPg[0] ?? join(this.bin, 'pg_ctl'), [...this.asPg.slice(1), ...(this.asPg.length ? [join(this.bin, 'pg_ctl')] : []), '-D', this.data, '-m', 'immediate', 'stop'], { timeout: 30_000 });
    rmSync(this.base, { recursive: true, force: true });
  }
}

/** A Pushgateway on loopback without persistence (runs share no state). */
export async function startPushgateway(): Promise<{ url: string; service: Service }> {
  const port = await freePort();
  const service = new Service(PUSHGATEWAY, [`--web.listen-address=127.0.0.1:${port}`, '--persistence.file=', '--log.level=warn'], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } });
  const url = `http://127.0.0.1:${port}`;
  await service.waitFor(`${url}/-/ready`, 15);
  return { url, service };
}

/**
 * Runs a program to completion without blocking the event loop, for programs that call a server
 * running in this test process (the Kubernetes stand-in).
 */
export function runProgramAsync(command: string, args: string[], env: Record<string, string>, timeoutSeconds = 300): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutSeconds * 1000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}
