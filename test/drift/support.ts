import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TerraformStack } from '../../lib/core/cdktf';
import type { IMonitoringSink, WatchTarget } from '../../lib/core/observability';
import { MlopsPlatform } from '../../lib/platform/mlops-platform';
import { DriftMonitor, type DriftMonitorProps } from '../../lib/drift/drift-monitor';
import { resourceNamed, synthStack, type SynthesizedJson } from '../../lib/testing';

export const ROOT = join(__dirname, '..', '..');
export const SCRIPTS = join(ROOT, 'lib', 'drift', 'scripts');
export const SCRIPT = join(SCRIPTS, 'drift_check.py');

/** The program's files in lib/: drift_check.py and its drift_*.py modules. */
export function programFileNames(): string[] {
  return readdirSync(SCRIPTS).filter((name) => /^drift_\w+\.py$/.test(name)).sort();
}

/**
 * Writes the synthesized program ConfigMap's files into `dir`, as the pod's
 * volume mount does, and returns the entry file's path there.
 */
export function writeProgram(json: SynthesizedJson, dir: string, configMapName = 'mlops-program-drift-check'): string {
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(resourceNamed(json, 'kubernetes_config_map_v1', configMapName).data as Record<string, string>)) {
    writeFileSync(join(dir, name), text);
  }
  return join(dir, 'drift_check.py');
}
export const PUSHGATEWAY_URL = 'http://pushgateway.monitoring.svc.cluster.local:9091';

/** Records registrations, as Monitoring would. */
export class RecordingSink implements IMonitoringSink {
  public readonly targets: WatchTarget[] = [];
  public readonly prometheusNamespace = 'monitoring';
  public readonly pushgatewayUrl?: string;
  constructor(opts: { pushgatewayUrl?: string } = { pushgatewayUrl: PUSHGATEWAY_URL }) {
    this.pushgatewayUrl = opts.pushgatewayUrl;
  }
  /** The drift registrations (the platform registers its tracking server too). */
  public get drift(): WatchTarget[] {
    return this.targets.filter((t) => t.kind === 'drift');
  }
  public watch(target: WatchTarget): void {
    this.targets.push(target);
  }
}

export type MonitorProps = Omit<DriftMonitorProps, 'platform'>;

export const CHURN: MonitorProps = {
  model: 'churn',
  reference: 'datasets/churn/reference.parquet',
  current: 'inference-logs/churn/latest.csv',
  features: [
    { name: 'age', type: 'numeric' },
    { name: 'income', type: 'numeric' },
    { name: 'country', type: 'categorical' },
  ],
};

/** A local platform (volume artifact store) with a drift monitor. */
export function synthDrift(props: Partial<MonitorProps> = {}, sink: RecordingSink | null = new RecordingSink()) {
  let monitor!: DriftMonitor;
  let platform!: MlopsPlatform;
  const out = synthStack((stack: TerraformStack) => {
    platform = new MlopsPlatform(stack, 'Platform', { monitoring: sink ?? false });
    monitor = new DriftMonitor(stack, 'ChurnDrift', { platform, ...CHURN, ...props } as DriftMonitorProps);
  });
  return { ...out, monitor, platform, sink };
}

/**
 * Runs the program's own config validation on a synthesized config.json and
 * returns what `expression` (Python, over the validated `cfg` and the modules
 * `drift_config` and `drift_read`) evaluates to.
 */
export function validatedByProgram(config: unknown, expression: string): any {
  const code = [
    'import json, sys',
    `sys.path.insert(0, ${JSON.stringify(SCRIPTS)})`,
    'import drift_config, drift_read',
    'cfg = drift_config.validate_config(json.loads(sys.stdin.read()))',
    `print(json.dumps(${expression}))`,
  ].join('\n');
  return JSON.parse(execFileSync('/usr/bin/python3', ['-c', code], { input: JSON.stringify(config), encoding: 'utf8' }));
}
