import { describe, expect, it } from 'vitest';
import { snapshotView, synthExample } from '../support/app-synth';
import { resourcesOf, secureDefaultViolations } from '../../lib/testing';

// Synthesized as users do (`npx cdktf synth` runs examples/local/main.ts), cdktf's validations on.
const synth = () => synthExample('local')['mlops-local'].json as any;

describe('examples/local', () => {
  const json = synth();

  it('synthesizes the embedded default stack (snapshot)', () => {
    expect(snapshotView(json)).toMatchSnapshot();
  });

  it('labels every Kubernetes object with the app.kubernetes.io labels', () => {
    const required = ['name', 'instance', 'component', 'part-of', 'managed-by'].map((k) => `app.kubernetes.io/${k}`);
    let objects = 0;
    for (const [type, resources] of Object.entries(json.resource as Record<string, Record<string, any>>)) {
      if (!type.startsWith('kubernetes_')) continue;
      for (const [id, r] of Object.entries(resources)) {
        objects++;
        const labels = r.metadata?.labels ?? {};
        expect(required.filter((k) => !(k in labels)), `${type}.${id}`).toEqual([]);
      }
    }
    expect(objects).toBeGreaterThan(40);
  });

  it('holds the platform, a scheduled GPU training job, a served model with a canary and a drift monitor', () => {
    const cron = Object.values(resourcesOf(json, 'kubernetes_cron_job_v1')).map((c: any) => c.metadata.name).sort();
    expect(cron).toEqual(['churn', 'churn-drift']);
    expect(Object.values(resourcesOf(json, 'kubernetes_deployment_v1')).map((d: any) => d.metadata.name).sort()).toEqual(['churn', 'churn-canary', 'mlflow']);
    expect(Object.keys(resourcesOf(json, 'kubernetes_horizontal_pod_autoscaler_v2'))).toHaveLength(2);
    expect(Object.values(resourcesOf(json, 'helm_release')).map((r: any) => r.chart).sort()).toEqual([
      expect.stringMatching(/^assets\/Platform_Monitoring_ObjectivesChart_/), 'kube-prometheus-stack', 'prometheus-pushgateway',
    ]);
  });

  it('meets the secure defaults in every pod', () => {
    // only the drift check, which starts retraining Jobs, calls the Kubernetes API
    expect(secureDefaultViolations(json, { tokenAllowedFor: /^kubernetes_cron_job_v1\.Platform_DriftChurn_/ })).toEqual([]);
  });
});
