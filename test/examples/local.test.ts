import { describe, expect, it } from 'vitest';
import { snapshotView, synthExample } from '../support/app-synth';
import { allContainers, resourcesOf, secureDefaultViolations } from '../../lib/testing';
import { DEFAULT_IMAGES } from '../../lib/core/images';
import { readScript } from '../../lib/core/assets';
import { itRoutesAlertsToSlackAndPagerDuty } from './receivers';

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

  it('holds the platform, a scheduled training job, a served model with a judged canary and a drift monitor', () => {
    const cron = Object.values(resourcesOf(json, 'kubernetes_cron_job_v1')).map((c: any) => c.metadata.name).sort();
    expect(cron).toEqual(['churn', 'churn-canary-judge', 'churn-drift']);
    expect(Object.values(resourcesOf(json, 'kubernetes_deployment_v1')).map((d: any) => d.metadata.name).sort()).toEqual(['churn', 'churn-canary', 'mlflow']);
    expect(Object.keys(resourcesOf(json, 'kubernetes_horizontal_pod_autoscaler_v2'))).toHaveLength(2);
    expect(Object.values(resourcesOf(json, 'helm_release')).map((r: any) => r.chart).sort()).toEqual([
      expect.stringMatching(/^assets\/Platform_Monitoring_ObjectivesChart_/),
      expect.stringMatching(/^assets\/Platform_Namespace_DisruptionBudgets_Chart_/), 'kube-prometheus-stack', 'prometheus-pushgateway',
    ]);
  });

  it('trains with the shipped churn program in the public MLflow image on a CPU, sized for a 4-CPU / 8-GiB kind node', () => {
    const cron = Object.values(resourcesOf(json, 'kubernetes_cron_job_v1')).find((c: any) => c.metadata.name === 'churn') as any;
    const pod = cron.spec.job_template.spec.template.spec;
    const train = pod.init_container.find((c: any) => c.name === 'train');
    expect(train.image).toBe(DEFAULT_IMAGES.mlflow);
    expect(train.command).toEqual(['python', '/opt/mlops/program/train_churn.py']);
    expect(train.volume_mount).toContainEqual(expect.objectContaining({ name: 'program', mount_path: '/opt/mlops/program', read_only: true }));
    const program = Object.values(resourcesOf(json, 'kubernetes_config_map_v1')).find((m: any) => m.metadata.name === 'churn-program') as any;
    expect(program.data['train_churn.py']).toBe(readScript('training', 'train_churn.py'));
    // No container of the stack asks for a GPU or tolerates a GPU taint, and no image is a placeholder.
    const containers = allContainers(json);
    expect(containers.filter(({ container }) => JSON.stringify(container.resources ?? {}).includes('nvidia.com/gpu')).map((c) => c.where)).toEqual([]);
    expect(JSON.stringify(json)).not.toContain('nvidia.com/gpu');
    expect(containers.filter(({ container }) => /acme|example/.test(container.image)).map((c) => c.where)).toEqual([]);
    // The gate names a challenger; the judge makes it champion once the canary has proven itself.
    const gate = pod.container.find((c: any) => c.name === 'promotion-gate');
    expect(gate.env).toContainEqual({ name: 'GATE_ALIAS', value: 'challenger' });
    // CPU requests of the platform's own workloads fit one 4-CPU node next to the monitoring stack.
    const milli = (q: string) => (q.endsWith('m') ? Number(q.slice(0, -1)) : Number(q) * 1000);
    const requested = containers
      .filter(({ where }) => !where.includes('_init_') && !/Job|cron/i.test(where.split('/')[0]!) )
      .reduce((sum, { container }) => sum + milli(container.resources?.requests?.cpu ?? '0'), 0);
    expect(requested).toBeLessThanOrEqual(2000);
    expect(milli(train.resources.requests.cpu)).toBeLessThanOrEqual(1000);
  });

  itRoutesAlertsToSlackAndPagerDuty(() => json);

  it('serves the artifact volume as a DVC remote through the tracking server\'s artifact proxy (stack output)', () => {
    expect(json.output.Platform_DvcData_Config_C763FC3A.value.split('\n')).toEqual([
      'dvc remote add -d mlops http://mlflow.mlops.svc.cluster.local:5000/api/2.0/mlflow-artifacts/artifacts/dvc',
      'dvc remote modify mlops method PUT',
    ]);
    // nothing beyond the tracking server: no IAM, no extra network policy
    expect(Object.values(resourcesOf(json, 'kubernetes_network_policy_v1')).map((n: any) => n.metadata.name).filter((n: string) => n.includes('dvc'))).toEqual([]);
  });

  it('meets the secure defaults in every pod', () => {
    // only the drift check (starts retraining Jobs) and the canary judge (scales the canary) call the Kubernetes API
    expect(secureDefaultViolations(json, { tokenAllowedFor: /^kubernetes_cron_job_v1\.Platform_(DriftChurn_|ModelChurn_CanaryJudge_)/ })).toEqual([]);
  });
});
