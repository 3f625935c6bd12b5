/**
 * A fleet of N models on one MlopsPlatform, and the raw-cdktf baseline of it:
 * the same number and kinds of provider resources with minimal props, built
 * from the library's own output so the two never drift apart.
 *
 * The library is the built package (`dist/`, what a consumer's app loads from
 * node_modules; `npm run build` first), unless MLOPS_BENCH_SOURCE=1 selects the
 * TypeScript sources. Under tsx every stack trace cdktf captures is
 * source-mapped, and the sources add mapped frames that no consumer has.
 */
import { App, Testing, TerraformStack } from '../lib/core/cdktf';
import type { MlopsPlatform } from '../lib';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const library = (): typeof import('../lib') => require(process.env.MLOPS_BENCH_SOURCE ? '../lib' : '../dist');

/** The app a run synthesizes: cdktf's own (`cdktf synth`: validations on, cdk.tf.json written to `outdir`), or the testing one. */
export function benchApp(outdir?: string): App {
  return outdir ? new App({ outdir }) : Testing.app({ stackTraces: false });
}

/** Each model: serving with HPA and PDB, a weekly training job with a gate, a daily drift check that retrains. */
export function fleetApp(models: number, app: App = benchApp()): { app: App; stack: TerraformStack; platform: MlopsPlatform } {
  const stack = new TerraformStack(app, 'fleet');
  const platform = new (library().MlopsPlatform)(stack, 'Platform', { namespace: 'mlops' });
  for (let i = 0; i < models; i++) {
    const name = `model-${String(i).padStart(4, '0')}`;
    const id = `M${i}`;
    const training = platform.addTrainingJob(id, {
      name, image: 'ghcr.io/acme/train:1.0.0', command: ['python', 'train.py'], model: name, schedule: 'H 3 * * 0',
      promotionGate: { metric: 'val_auc', direction: 'higher_is_better', threshold: 0.8 },
    });
    platform.addModel(id, {
      name, model: `models:/${name}@champion`, minReplicas: 2, maxReplicas: 4 + (i % 3), inferenceLogging: true,
      slo: { latencyP95Seconds: [0.2, 0.5, 1][i % 3]!, errorRatio: [0.01, 0.02][i % 2]! },
    });
    platform.addDriftMonitor(id, {
      model: name, reference: `datasets/${name}/reference.parquet`, current: `inference-logs/${name}/`,
      features: [{ name: 'tenure' }, { name: 'plan', type: 'categorical' }],
      retrain: { trainingJob: training },
    });
  }
  return { app, stack, platform };
}

type Resources = Record<string, Record<string, unknown>>;

/** The provider class of a Terraform type, found by the providers' deep-path convention. */
function classOf(type: string, data: boolean): new (scope: TerraformStack, id: string, config: unknown) => unknown {
  const [pkg, rest] = type.startsWith('kubernetes_') ? ['kubernetes', type.slice('kubernetes_'.length)]
    : type.startsWith('helm_') ? ['helm', type.slice('helm_'.length)]
    : type.startsWith('random_') ? ['random', type.slice('random_'.length)]
    : type.startsWith('aws_') ? ['aws', type.slice('aws_'.length)] : ['', type];
  const file = (data ? `data-${pkg}-${rest}` : rest).replace(/_/g, '-');
  const cls = file.split('-').map((s) => s.charAt(0).toUpperCase() + s.slice(1)).join('');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(`@cdktf/provider-${pkg}/lib/${file}`)[cls];
}

function minimalConfig(type: string, id: string): unknown {
  if (type.startsWith('kubernetes_')) return { metadata: { name: id.toLowerCase().slice(0, 60) } };
  if (type === 'helm_release') return { name: id.toLowerCase().slice(0, 50), chart: 'chart' };
  if (type === 'random_password') return { length: 32 };
  return {};
}

/**
 * A stack with the same providers and the same count of each resource and data source type as `json`.
 * With `sameContent`, each resource also carries the library's synthesized body verbatim (as overrides on
 * the minimal resource): raw cdktf emitting the identical JSON, which separates what the library's own
 * code costs from what resolving and writing that much configuration costs in cdktf.
 */
export function rawApp(json: { resource?: Resources; data?: Resources; provider?: Record<string, unknown> }, sameContent = false, app: App = benchApp()): { app: App; stack: TerraformStack } {
  const stack = new TerraformStack(app, 'fleet');
  const { KubernetesProvider } = require('@cdktf/provider-kubernetes/lib/provider');
  const { HelmProvider } = require('@cdktf/provider-helm/lib/provider');
  const { RandomProvider } = require('@cdktf/provider-random/lib/provider');
  new KubernetesProvider(stack, 'k8s', {});
  new HelmProvider(stack, 'helm', {});
  new RandomProvider(stack, 'random', {});
  for (const [kind, sets] of [['resource', json.resource ?? {}], ['data', json.data ?? {}]] as const) {
    for (const [type, instances] of Object.entries(sets)) {
      const Cls = classOf(type, kind === 'data');
      for (const [id, body] of Object.entries(instances)) {
        const r = new Cls(stack, id, minimalConfig(type, id)) as { addOverride(path: string, value: unknown): void };
        // "//" is cdktf's metadata comment (construct path, unique id), which it writes for the raw resource too.
        if (sameContent) for (const [key, value] of Object.entries(body as Record<string, unknown>)) if (key !== '//') r.addOverride(key, value);
      }
    }
  }
  return { app, stack };
}

/**
 * Sizes that decide whether a fleet can be applied: the whole JSON as written (cdktf indents by 2) and
 * without the indentation, and the per-object maxima.
 */
export function sizes(text: string): { bytes: number; minifiedBytes: number; largestResource: { address: string; bytes: number }; largestValues: number; largestConfigMapData: number } {
  const json = JSON.parse(text) as { resource: Resources };
  let largestResource = { address: '', bytes: 0 };
  let largestValues = 0;
  let largestConfigMapData = 0;
  for (const [type, instances] of Object.entries(json.resource)) {
    for (const [id, body] of Object.entries(instances)) {
      const bytes = JSON.stringify(body).length;
      if (bytes > largestResource.bytes) largestResource = { address: `${type}.${id}`, bytes };
      const b = body as { values?: string[]; data?: Record<string, string> };
      for (const v of b.values ?? []) largestValues = Math.max(largestValues, v.length);
      if (type === 'kubernetes_config_map_v1' && b.data) largestConfigMapData = Math.max(largestConfigMapData, Object.values(b.data).reduce((n, v) => n + v.length, 0));
    }
  }
  return { bytes: text.length, minifiedBytes: JSON.stringify(json).length, largestResource, largestValues, largestConfigMapData };
}
