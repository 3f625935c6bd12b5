import { describe, expect, afterAll } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DriftWatch } from '../../lib/core/observability';
import { ALERTS, renderRuleFile, ruleFileGroups } from '../../lib/monitoring/alert-rules';
import { expect_ } from '../monitoring/rule-tests';
import { requirePython, requireTool, itWithTool, type ToolCheck } from '../support/tools';
import { synthDrift, writeProgram } from './support';
import { freePort } from '../support/services';

/**
 * End to end on loopback with the real servers from Debian: the drift program,
 * as its synthesized ConfigMap mounts it (the files in a directory of their own),
 * runs on generated data with the config the DriftMonitor synthesizes, pushes
 * to a real prometheus-pushgateway, and the drift alert rule generated for the
 * monitor's registration fires (or not) under `promtool test rules`, fed the
 * series scraped back from the gateway.
 */

const PUSHGATEWAY = '/usr/bin/prometheus-pushgateway';
const PYTHON = '/usr/bin/python3';
const tools: ToolCheck[] = [requireTool(PUSHGATEWAY), requireTool('promtool'), requirePython('numpy', 'pandas')];
const all: ToolCheck = { available: tools.every((t) => t.available), reason: tools.filter((t) => !t.available).map((t) => t.reason).join('; ') };

const dir = mkdtempSync(join(tmpdir(), 'drift-e2e-'));
let gateway: ChildProcess | undefined;
afterAll(() => {
  gateway?.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
});

async function startGateway(): Promise<string> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let log = '';
  // Debian's build persists to /var/lib/prometheus by default; an empty file name turns persistence off,
  // so runs share no state.
  const args = [`--web.listen-address=127.0.0.1:${port}`, '--persistence.file=', '--log.level=warn'];
  gateway = spawn(PUSHGATEWAY, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  gateway.stderr!.on('data', (d) => (log += d));
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (gateway.exitCode !== null) throw new Error(`pushgateway exited with ${gateway.exitCode}: ${log}`);
    try {
      if ((await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1000) })).ok) return url;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`pushgateway not ready within 15 s: ${log}`);
}

/** Reference data, and current data with or without drift (age shifted, country mix changed). */
function writeData(): void {
  const code = `
import numpy as np, pandas as pd, sys
d = sys.argv[1]
def frame(n, seed, drift):
    r = np.random.default_rng(seed)
    return pd.DataFrame({
        "age": r.normal(52 if drift else 40, 10, n),
        "income": r.lognormal(10, 0.5, n),
        "country": r.choice(["de", "fr", "us", "uk"], n, p=[0.1, 0.1, 0.7, 0.1] if drift else [0.25] * 4),
        "ignored": r.normal(0, 1, n),
    })
frame(4000, 1, False).to_csv(f"{d}/reference.csv", index=False)
frame(3000, 2, True).to_csv(f"{d}/drifted.csv", index=False)
frame(3000, 3, False).to_csv(f"{d}/stable.csv", index=False)
`;
  const res = spawnSync(PYTHON, ['-c', code, dir], { encoding: 'utf8', timeout: 60_000 });
  if (res.status !== 0) throw new Error(`data generation failed: ${res.stderr}`);
}

/** Runs the program with the monitor's synthesized config, pointed at local files and the loopback gateway. */
function runCheck(program: string, config: Record<string, unknown>, current: string, gatewayUrl: string, run: string): { code: number | null; out: string } {
  const cfg = { ...config, reference: join(dir, 'reference.csv'), current: join(dir, current), reportUri: join(dir, run) + '/', pushgatewayUrl: gatewayUrl };
  const path = join(dir, `${run}.json`);
  writeFileSync(path, JSON.stringify(cfg));
  const res = spawnSync(PYTHON, [program, '--config', path], { encoding: 'utf8', timeout: 120_000 });
  return { code: res.status, out: `${res.stdout}${res.stderr}` };
}

/**
 * The gateway's `mlops_drift_*` samples as promtool input series, constant over
 * `hours` at the 1m interval of the tests: Prometheus scrapes the gateway every
 * few seconds, and series sampled further apart than the 5m lookback would go stale.
 */
async function pushedSeries(gatewayUrl: string, hours: number): Promise<{ series: string; values: string }[]> {
  const text = await (await fetch(`${gatewayUrl}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
  const out: { series: string; values: string }[] = [];
  for (const line of text.split('\n')) {
    const m = /^(mlops_drift_[a-z_]+)(\{.*\})?\s+(\S+)$/.exec(line);
    if (!m) continue;
    const value = Number(m[3]);
    if (!Number.isFinite(value)) continue;
    const literal = Number.isInteger(value) ? String(value) : value.toFixed(12);
    out.push({ series: `${m[1]}${m[2] ?? ''}`, values: `${literal}x${hours * 60}` });
  }
  return out;
}

describe('drift check -> Pushgateway -> generated alert rule (promtool)', () => {
  const { monitor, sink, json } = synthDrift();
  const program = writeProgram(json, join(dir, 'program'));
  const watch = sink!.drift[0] as DriftWatch;
  const sustainedHours = watch.sustainedForSeconds / 3600;
  // The alert this model's drift must raise, as written out by the rule tests (labels and text).
  const expectedAlert = expect_.driftDetected(watch, {});

  const promtoolTest = (name: string, series: { series: string; values: string }[], fires: boolean): { code: number | null; output: string } => {
    writeFileSync(join(dir, 'rules.json'), renderRuleFile(ruleFileGroups([watch])));
    const expected = fires ? [expectedAlert] : [];
    const testFile = {
      rule_files: ['rules.json'],
      evaluation_interval: '1m',
      tests: [
        {
          interval: '1m',
          input_series: series,
          alert_rule_test: [
            // Still pending one hour before the sustained window ends.
            { eval_time: `${sustainedHours - 1}h`, alertname: ALERTS.driftDetected, exp_alerts: [] },
            { eval_time: `${sustainedHours + 1}h`, alertname: ALERTS.driftDetected, exp_alerts: expected },
            { eval_time: `${sustainedHours + 1}h`, alertname: ALERTS.driftCheckFailed, exp_alerts: [] },
          ],
        },
      ],
    };
    const path = join(dir, `${name}.test.json`);
    writeFileSync(path, JSON.stringify(testFile, null, 2));
    const res = spawnSync('promtool', ['test', 'rules', path], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
    return { code: res.status, output: `${res.stdout}${res.stderr}` };
  };

  let url = '';
  const gatewayUrl = async () => (url ||= await startGateway());

  itWithTool(all, 'drifted data: the program pushes, and the sustained drift alert fires', async () => {
    writeData();
    const check = runCheck(program, monitor.config, 'drifted.csv', await gatewayUrl(), 'drifted');
    expect(check.code, check.out).toBe(0);
    expect(check.out).toContain('DRIFT detected');
    const series = await pushedSeries(url, sustainedHours + 2);
    // one group, the model's, grouped by its namespace
    expect(series.filter((s) => s.series.startsWith('mlops_drift_detected{')).map((s) => s.series)).toEqual([
      'mlops_drift_detected{instance="",job="mlops-drift",model="churn",namespace="mlops"}',
    ]);
    expect(series.find((s) => s.series.startsWith('mlops_drift_detected{'))?.values).toBe(`1x${(sustainedHours + 2) * 60}`);
    expect(series.filter((s) => s.series.startsWith('mlops_drift_feature_psi{'))).toHaveLength(3);

    const fired = promtoolTest('drifted', series, true);
    expect(fired.code, fired.output).toBe(0);
    expect(spawnSync('promtool', ['check', 'rules', join(dir, 'rules.json')], { encoding: 'utf8' }).status).toBe(0);
  }, 120_000);

  itWithTool(all, 'stable data: the push replaces the verdict, and the alert stays silent', async () => {
    const check = runCheck(program, monitor.config, 'stable.csv', await gatewayUrl(), 'stable');
    expect(check.code, check.out).toBe(0);
    expect(check.out).toContain('no drift');
    const series = await pushedSeries(url, sustainedHours + 2);
    expect(series.find((s) => s.series.startsWith('mlops_drift_detected{'))?.values).toBe(`0x${(sustainedHours + 2) * 60}`);

    const silent = promtoolTest('stable', series, false);
    expect(silent.code, silent.output).toBe(0);
    // The same harness reports a failure when it expects the alert on this data: the check can fail.
    const wrong = promtoolTest('stable-wrong', series, true);
    expect(wrong.code).not.toBe(0);
    expect(wrong.output).toContain(ALERTS.driftDetected);
  }, 120_000);
});
