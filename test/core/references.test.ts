import { afterEach, describe, expect, it } from 'vitest';
import { ConfigMapV1, ConfigMapV1MetadataOutputReference } from '@cdktf/provider-kubernetes/lib/config-map-v1';
import { TerraformStack, Testing } from '../../lib/core/cdktf';
import { nameOf } from '../../lib/core/references';
import { MlopsPlatform } from '../../lib';

/**
 * lib/core/references.ts: a shared ConfigMap's name is read once, not once per workload. Each read
 * of a provider attribute makes a new token, and cdktf captures a full stack trace for every token,
 * so a fleet that read the shared programs' names per workload paid one capture per workload each.
 */
describe('nameOf', () => {
  const descriptor = Object.getOwnPropertyDescriptor(ConfigMapV1MetadataOutputReference.prototype, 'name')!;
  afterEach(() => Object.defineProperty(ConfigMapV1MetadataOutputReference.prototype, 'name', descriptor));

  /** Reads of `metadata.name` of each ConfigMap while `build` runs, by construct path. */
  function countNameReads(build: () => void): Record<string, number> {
    const reads: Record<string, number> = {};
    Object.defineProperty(ConfigMapV1MetadataOutputReference.prototype, 'name', {
      ...descriptor,
      get(this: { terraformResource: ConfigMapV1 }) {
        const path = this.terraformResource.node.path;
        reads[path] = (reads[path] ?? 0) + 1;
        return descriptor.get!.call(this);
      },
    });
    build();
    return reads;
  }

  it('is the reference metadata.name makes, the same token on every call', () => {
    const stack = new TerraformStack(Testing.app(), 'test');
    const cm = new ConfigMapV1(stack, 'Cm', { metadata: { name: 'cm' } });
    expect(nameOf(cm)).toBe(nameOf(cm));
    new ConfigMapV1(stack, 'User', { metadata: { name: 'user' }, data: { cached: nameOf(cm), direct: cm.metadata.name } });
    const data = JSON.parse(Testing.synth(stack)).resource.kubernetes_config_map_v1.User.data;
    expect(data).toEqual({ cached: '${kubernetes_config_map_v1.Cm.metadata[0].name}', direct: '${kubernetes_config_map_v1.Cm.metadata[0].name}' });
  });

  it("reads each shared program's name once however many workloads mount it", () => {
    const fleet = (models: number) => countNameReads(() => {
      const platform = new MlopsPlatform(new TerraformStack(Testing.app(), 'fleet'), 'Platform', { namespace: 'mlops' });
      for (let i = 0; i < models; i++) {
        const name = `model-${i}`;
        const training = platform.addTrainingJob(`M${i}`, {
          name, image: 'ghcr.io/acme/train:1.0.0', command: ['python', 'train.py'], model: name, schedule: '0 3 * * 0',
          promotionGate: { metric: 'val_auc', direction: 'higher_is_better', threshold: 0.8 },
        });
        platform.addModel(`M${i}`, { name, model: `models:/${name}@champion`, inferenceLogging: true });
        platform.addDriftMonitor(`M${i}`, { model: name, reference: 'ref.parquet', current: 'logs/', features: [{ name: 'x' }], retrain: { trainingJob: training } });
      }
    });
    const shared = (reads: Record<string, number>) => Object.fromEntries(Object.entries(reads).filter(([path]) => path.includes('/Program-')));
    const one = shared(fleet(1));
    expect(Object.keys(one).sort()).toEqual(['fleet/Platform/Namespace/Program-drift-check/Resource', 'fleet/Platform/Namespace/Program-promotion-gate/Resource', 'fleet/Platform/Namespace/Program-serve-model/Resource']);
    expect(shared(fleet(5))).toEqual(one);
    expect(Object.values(one)).toEqual([1, 1, 1]);
  });
});
