import { describe, expect, it } from 'vitest';
import { MlopsPlatform } from '../../lib';
import { resourcesOf, synthStack } from '../../lib/testing';

/** A platform of many models: shared programs, a fleet-wide retraining policy, objects that stay small. */
function fleet(models: number, retraining?: ConstructorParameters<typeof MlopsPlatform>[2] extends infer P ? P extends { retraining?: infer R } ? R : never : never) {
  let platform!: MlopsPlatform;
  const out = synthStack((stack) => {
    platform = new MlopsPlatform(stack, 'Platform', { namespace: 'mlops', retraining });
    for (let i = 0; i < models; i++) {
      const name = `m-${i}`;
      const training = platform.addTrainingJob(`M${i}`, {
        name, image: 'ghcr.io/acme/train:1.0.0', command: ['python', 'train.py'], model: name, schedule: '0 3 * * 0',
        promotionGate: { metric: 'auc', direction: 'higher_is_better', threshold: 0.8 },
      });
      platform.addModel(`M${i}`, { name, model: `models:/${name}@champion`, inferenceLogging: true });
      platform.addDriftMonitor(`M${i}`, {
        model: name, reference: `d/${name}.csv`, current: `inference-logs/${name}/`, features: [{ name: 'x' }],
        retrain: { trainingJob: training, ...(i === 1 ? { afterConsecutiveRuns: 5 } : {}) },
        ...(i === 1 ? { psiThreshold: 0.4 } : {}),
      });
    }
  });
  return { ...out, platform };
}

describe('a fleet of models on one platform', () => {
  const { json, platform } = fleet(30, { schedule: '0 */12 * * *', psiThreshold: 0.2, afterConsecutiveRuns: 4 });

  it('ships each program once per namespace, mounted by every workload', () => {
    const programs = Object.values(resourcesOf(json, 'kubernetes_config_map_v1')).filter((c: any) => c.metadata.name.startsWith('mlops-program-'));
    expect(programs.map((c: any) => c.metadata.name).sort()).toEqual(['mlops-program-drift-check', 'mlops-program-promotion-gate', 'mlops-program-serve-model']);
    const cronJobs = Object.values(resourcesOf(json, 'kubernetes_cron_job_v1')) as any[];
    const mounted = cronJobs.flatMap((c) => c.spec.job_template.spec.template.spec.volume.filter((v: any) => v.config_map).map((v: any) => v.config_map.name));
    expect(mounted.filter((n: string) => n.includes('Program-drift-check'))).toHaveLength(30);
    expect(mounted.filter((n: string) => n.includes('Program-promotion-gate'))).toHaveLength(30);
  });

  it('opens each egress target with one policy per namespace, selected by a label every drift pod carries', () => {
    const policies = Object.values(resourcesOf(json, 'kubernetes_network_policy_v1')) as any[];
    const egress = policies.filter((p) => Object.keys(p.spec.pod_selector?.match_labels ?? {}).some((k) => k.startsWith('egress.mlops.cdktf.io/')));
    expect(egress.map((p) => p.metadata.name).sort()).toEqual(['allow-api-server-egress', 'allow-pushgateway-egress']);
    const drift = (Object.values(resourcesOf(json, 'kubernetes_cron_job_v1')) as any[]).filter((c) => c.metadata.name.endsWith('-drift'));
    expect(drift).toHaveLength(30);
    for (const c of drift) {
      expect(c.spec.job_template.spec.template.metadata.labels).toMatchObject({ 'egress.mlops.cdktf.io/pushgateway': 'allow', 'egress.mlops.cdktf.io/api-server': 'allow' });
    }
    // No drift monitor keeps a policy of its own.
    expect(policies.filter((p) => / m-\d+-drift/.test(` ${p.metadata.name}`))).toEqual([]);
  });

  it('applies the platform retraining policy to every drift monitor, each overridable', () => {
    const drift = Object.values(platform.driftMonitors);
    expect(drift[0]!.config).toMatchObject({ psiThreshold: 0.2, retrain: { afterConsecutiveRuns: 4 } });
    // twice a day, retrain after 4 runs: the alert waits two days
    expect(drift[0]!.sustainedForSeconds).toBe(4 * 12 * 3600);
    const cron = Object.values(resourcesOf(json, 'kubernetes_cron_job_v1')).find((c: any) => c.metadata.name === 'm-0-drift');
    expect(cron.spec.schedule).toBe('0 */12 * * *');
    expect(drift[1]!.config).toMatchObject({ psiThreshold: 0.4, retrain: { afterConsecutiveRuns: 5 } });
  });

  it('rejects a bad policy naming the field', () => {
    expect(() => fleet(0, { afterConsecutiveRuns: 0 })).toThrow(/retraining\.afterConsecutiveRuns: got 0/);
    expect(() => fleet(0, { schedule: 'every day' })).toThrow(/retraining\.schedule/);
  });

  it('keeps every object far below the Kubernetes and Helm limits, and the alert rules the same size as for one model', () => {
    for (const [type, instances] of Object.entries(json.resource as Record<string, Record<string, any>>)) {
      for (const [id, body] of Object.entries(instances)) {
        expect(JSON.stringify(body).length, `${type}.${id}`).toBeLessThan(256 * 1024);
      }
    }
    const values = (r: any) => JSON.parse(r.values[0]);
    const kps = Object.values(resourcesOf(json, 'helm_release')).find((r: any) => r.chart === 'kube-prometheus-stack');
    const one = Object.values(resourcesOf(fleet(1, { schedule: '0 */12 * * *', psiThreshold: 0.2, afterConsecutiveRuns: 4 }).json, 'helm_release'))
      .find((r: any) => r.chart === 'kube-prometheus-stack');
    const alerts = (r: any) => values(r).additionalPrometheusRulesMap.mlops.groups.flatMap((g: any) => g.rules.map((x: any) => `${g.name} ${x.alert} ${x.for ?? ''}`));
    // The same rules, plus one drift rule for the one monitor that waits 5 runs instead of 4.
    expect([...alerts(kps)].sort()).toEqual([...alerts(one), 'mlops-drift MlopsDriftDetected 60h'].sort());
    expect(values(kps).prometheus.prometheusSpec.additionalScrapeConfigs).toEqual(values(one).prometheus.prometheusSpec.additionalScrapeConfigs);
  });
});
