import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigMapV1 } from '@cdktf/provider-kubernetes/lib/config-map-v1';
import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import { ServiceV1 } from '@cdktf/provider-kubernetes/lib/service-v1';
import { App, DefaultTokenResolver, Lazy, StringConcat, TerraformIterator, TerraformResource, TerraformStack, Testing, Token, Tokenization } from '../../lib/core/cdktf';
import { presolve, withoutPresolving } from '../../lib/core/resolved';
import { MlopsPlatform } from '../../lib';
import { addAllFeaturesPlatform } from '../support/all-features';

/**
 * lib/core/resolved.ts hands token-free subtrees to cdktf already resolved. The claim is that the
 * output is byte for byte what cdktf writes when it resolves every node itself (withoutPresolving),
 * on both synthesis paths, and that cdktf then resolves far fewer nodes.
 */

/** What `cdktf synth` writes for the stacks `build` makes (app.synth, validations on), by stack name. */
function appSynth(build: (app: App) => void): Record<string, string> {
  const outdir = mkdtempSync(join(tmpdir(), 'presolve-'));
  const app = new App({ outdir });
  build(app);
  app.synth();
  const stacks = app.node.findAll().filter((c): c is TerraformStack => TerraformStack.isStack(c));
  return Object.fromEntries(stacks.map((s) => [s.node.id, readFileSync(join(outdir, 'stacks', s.node.id, 'cdk.tf.json'), 'utf8')]));
}

/** Builds twice, with and without presolving, and expects the same text. */
function expectSame(build: (app: App) => void): Record<string, string> {
  const presolved = appSynth(build);
  expect(presolved).toEqual(withoutPresolving(() => appSynth(build)));
  return presolved;
}

function fleet(stack: TerraformStack, models = 3): MlopsPlatform {
  const platform = new MlopsPlatform(stack, 'Platform', { namespace: 'mlops' });
  for (let i = 0; i < models; i++) {
    const name = `model-${i}`;
    const training = platform.addTrainingJob(`M${i}`, {
      name, image: 'ghcr.io/acme/train:1.0.0', command: ['python', 'train.py'], model: name, schedule: '0 3 * * 0',
      promotionGate: { metric: 'val_auc', direction: 'higher_is_better', threshold: 0.8 },
    });
    platform.addModel(`M${i}`, { name, model: `models:/${name}@champion`, minReplicas: 2, maxReplicas: 5, env: { RATIO: '1e+5', TEMPLATE: '${upper("x")}' } });
    platform.addDriftMonitor(`M${i}`, {
      model: name, reference: `datasets/${name}/reference.parquet`, current: `inference-logs/${name}/`,
      features: [{ name: 'tenure' }], retrain: { trainingJob: training },
    });
  }
  return platform;
}

/** `value` resolved in `stack` once, as cdktf's output pass resolves an element. */
const resolveIn = (stack: TerraformStack, value: unknown): unknown =>
  Tokenization.resolve(value, { scope: stack, preparing: false, resolver: new DefaultTokenResolver(new StringConcat()) });

/** Counts the nodes cdktf's resolve visits (strings and objects), by hooking its token scans. */
function resolveSteps(run: () => void): number {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const encoding = require('cdktf/lib/tokens/private/encoding');
  const [forListToken, containsMapToken] = [encoding.TokenString.forListToken, encoding.containsMapToken];
  let steps = 0;
  encoding.TokenString.forListToken = (s: string) => (steps++, forListToken.call(encoding.TokenString, s));
  encoding.containsMapToken = (o: object) => (steps++, containsMapToken(o));
  try {
    run();
  } finally {
    [encoding.TokenString.forListToken, encoding.containsMapToken] = [forListToken, containsMapToken];
  }
  return steps;
}

describe('presolved attributes (lib/core/resolved.ts)', () => {
  it('write the same cdk.tf.json as cdktf resolving every node, for the all-features platform and a fleet', () => {
    const out = expectSame((app) => {
      addAllFeaturesPlatform(new TerraformStack(app, 'all'));
      fleet(new TerraformStack(app, 'fleet'));
    });
    // The strings a user gave are still literal, and the number-looking one is unchanged.
    expect(out.fleet).toContain('"$${upper(\\"x\\")}"');
    expect(out.fleet).toContain('"1e+5"');
  });

  it('write the same snapshot text under Testing.synth', () => {
    const synth = () => {
      const stack = new TerraformStack(Testing.app(), 'all');
      addAllFeaturesPlatform(stack);
      return Testing.synth(stack);
    };
    expect(synth()).toEqual(withoutPresolving(synth));
  });

  it('keep overrides on a resource and on the stack working, into paths that would be presolved', () => {
    const out = expectSame((app) => {
      const stack = new TerraformStack(app, 'over');
      const platform = fleet(stack, 1);
      const deployment = platform.node.findAll().find((c): c is TerraformResource => c instanceof TerraformResource && c.terraformResourceType === 'kubernetes_deployment_v1')!;
      deployment.addOverride('spec.template.spec.container.0.image_pull_policy', 'Always');
      const cronJob = platform.node.findAll().find((c): c is TerraformResource => c instanceof TerraformResource && c.terraformResourceType === 'kubernetes_cron_job_v1')!;
      stack.addOverride(`resource.kubernetes_cron_job_v1.${cronJob.friendlyUniqueId}.spec.suspend`, true);
    });
    expect(out.over).toContain('"image_pull_policy": "Always"');
    expect(out.over).toContain('"suspend": true');
  });

  it('keep tokens resolving: a reference to another stack, a lazy, a number token in a string', () => {
    const out = expectSame((app) => {
      const base = new TerraformStack(app, 'base');
      new KubernetesProvider(base, 'k8s', {});
      const images = new ConfigMapV1(base, 'images', { metadata: { name: 'images' } });
      const stack = new TerraformStack(app, 'serving');
      const platform = new MlopsPlatform(stack, 'Platform', { namespace: 'mlops' });
      platform.addModel('Churn', {
        model: 'models:/churn@champion',
        env: { IMAGE: images.metadata.name, LAZY: Lazy.stringValue({ produce: () => 'produced-late' }), SHARDS: `shards ${Token.asNumber(Lazy.numberValue({ produce: () => 7 }))}` },
      });
    });
    expect(out.serving).toContain('produced-late');
    expect(out.serving).toContain('"shards 7"'); // a number token inside a string
    expect(out.serving).toContain('"${data.terraform_remote_state.cross-stack-reference-input-base.outputs.cross-stack-output-kubernetes_config_map_v1imagesmetadata0name}"');
    expect(out.base).toContain('cross-stack-output-kubernetes_config_map_v1imagesmetadata0name');
  });

  it('leave a dynamic block where cdktf finds it, beside tokens and plain data in the same attribute', () => {
    const out = expectSame((app) => {
      const stack = new TerraformStack(app, 'dyn');
      const platform = fleet(stack, 1);
      const ports = TerraformIterator.fromList(['http', 'metrics']);
      new ServiceV1(platform, 'Extra', {
        metadata: { name: 'extra', namespace: platform.namespace.name, labels: { a: 'a', b: 'b', c: 'c', d: 'd' } },
        spec: {
          selector: { app: 'extra', namespace: platform.namespace.name, one: '1', two: '2', three: '3' },
          port: ports.dynamic({ name: ports.value, port: 8080, target_port: '8080' }), // content keys as Terraform spells them: cdktf writes them unchanged,
        },
      });
    });
    type Service = { metadata: { name: string }; spec: { dynamic: { port: unknown }; selector: Record<string, string> } };
    const extra = (Object.values(JSON.parse(out.dyn!).resource.kubernetes_service_v1) as Service[]).find((r) => r.metadata.name === 'extra')!;
    expect(extra.spec.dynamic.port).toEqual({ for_each: '${toset(["http", "metrics"])}', iterator: 'each', content: { name: '${each.value}', port: 8080, target_port: '8080' } });
    expect(extra.spec.selector.namespace).toMatch(/^\$\{kubernetes_namespace_v1\..*\.metadata\[0\]\.name\}$/);
  });

  it('leave every kind of token to cdktf, even deep in otherwise plain data', () => {
    const stack = new TerraformStack(Testing.app(), 'kinds');
    const lazy = <T,>(v: T) => Lazy.anyValue({ produce: () => v });
    const tokens = {
      inString: `n ${Token.asNumber(lazy(7))}`, // cdktf's number-token scan reads it back
      number: Token.asNumber(lazy(8)),
      list: Token.asList(lazy(['a', 'b'])),
      numberList: Token.asNumberList(lazy([1, 2])),
      map: Token.asStringMap(lazy({ k: 'v' })),
      marker: `x-${Token.asString(lazy('y'))}`,
      gone: lazy(undefined), // cdktf drops the key
      goneInList: [1, lazy(undefined), 2, undefined, 3], // and the elements
      reference: new ConfigMapV1(stack, 'cm', { metadata: { name: 'cm' } }).metadata.name,
    };
    for (const [kind, token] of Object.entries(tokens)) {
      const attributes = () => ({ spec: { plain: ['a', 'b', 'c'], deep: { one: 1, two: 'two', held: token, three: [3] } } });
      expect(resolveIn(stack, presolve(attributes())), kind).toEqual(resolveIn(stack, attributes()));
    }
    const resolved = resolveIn(stack, presolve({ spec: { deep: { a: 'a', b: 'b', c: tokens.inString } } }));
    expect(resolved).toEqual({ spec: { deep: { a: 'a', b: 'b', c: 'n 7' } } });
    const all = () => ({ spec: { plain: ['a', 'b', 'c'], ...tokens, nested: [{ x: 1, y: tokens.goneInList, z: { w: tokens.gone, v: tokens.reference } }] } });
    expect(resolveIn(stack, presolve(all()))).toEqual(resolveIn(stack, all()));
    expect(resolveIn(stack, presolve(all()))).toMatchObject({ spec: { goneInList: [1, 2, 3], list: ['a', 'b'], numberList: [1, 2], nested: [{ y: [1, 2, 3], z: { v: '${kubernetes_config_map_v1.cm.metadata[0].name}' } }] } });
    expect((resolveIn(stack, presolve(all())) as { spec: object }).spec).not.toHaveProperty('gone');
  });

  it('give plain data to anything that resolves an element once, outside the stack\'s own toTerraform', () => {
    const stack = new TerraformStack(Testing.app(), 'once');
    fleet(stack, 1);
    Testing.synth(stack); // the library's elements are patched by now
    const elements = stack.node.findAll().filter((c): c is TerraformResource => c instanceof TerraformResource);
    const once = () => elements.map((e) => resolveIn(stack, e.toTerraform()));
    const presolved = once();
    expect(presolved).toEqual(withoutPresolving(once));
    const classes = new Set<string>();
    const walk = (v: unknown): void => {
      if (v === null || typeof v !== 'object') return;
      if (!Array.isArray(v) && Object.getPrototypeOf(v) !== Object.prototype) classes.add(v.constructor.name);
      Object.values(v).forEach(walk);
    };
    walk(presolved);
    expect([...classes]).toEqual([]);
  });

  it('leave cdktf under 30 % of the nodes to resolve in a fleet (cdktf synth)', () => {
    const build = () => appSynth((app) => fleet(new TerraformStack(app, 'fleet'), 5));
    const presolved = resolveSteps(build);
    const plain = resolveSteps(() => withoutPresolving(build));
    expect(plain).toBeGreaterThan(1000);
    expect(presolved / plain).toBeLessThan(0.3); // 0.27: what is left is cdktf's own metadata, keys and the tokens
  });
});
