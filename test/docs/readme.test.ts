import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { App, S3Backend, TerraformStack, Testing } from '../../lib/core/cdktf';
import { MlopsPlatform } from '../../lib';

/** The README's code blocks are what users copy: they must build. */
const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');

describe('README', () => {
  it('names the two setup commands the CI and fresh-clone check run', () => {
    expect(readme).toContain('npm ci && npx cdktf synth');
    expect(readme).toMatch(/^npm test\s/m);
  });

  it('the usage example builds and synthesizes', () => {
    const app = Testing.app({ stackTraces: false });
    const stack = new TerraformStack(app, 'mlops');
    const platform = new MlopsPlatform(stack, 'Platform', {
      namespace: 'mlops',
      kubeconfig: { configPath: '~/.kube/config', context: 'kind-mlops' },
      tracking: { ingress: { host: 'mlflow.example.com', clusterIssuer: 'letsencrypt' } },
    });
    const training = platform.addTrainingJob('Churn', {
      name: 'churn',
      image: 'ghcr.io/acme/churn-train:1.4.2',
      command: ['python', 'train.py'],
      model: 'churn',
      schedule: '0 0 * * 0',
      gpus: 1,
      resources: { cpu: '4', memory: '16Gi' },
      dataValidation: { command: ['great_expectations', 'checkpoint', 'run', 'churn'] },
      promotionGate: { metric: 'val_auc', direction: 'higher_is_better', threshold: 0.85, compareToChampion: true },
    });
    platform.addModel('Churn', {
      model: 'models:/churn@champion',
      minReplicas: 2,
      maxReplicas: 10,
      canary: { model: 'models:/churn@challenger', weight: 10 },
      inferenceLogging: true,
    });
    platform.addDriftMonitor('Churn', {
      model: 'churn',
      reference: 'datasets/churn/reference.parquet',
      current: 'inference-logs/churn/',
      features: [{ name: 'tenure_months' }, { name: 'contract', type: 'categorical' }],
      retrain: { trainingJob: training, afterConsecutiveRuns: 2 },
    });
    expect(() => Testing.synth(stack)).not.toThrow();
    expect(readme).toContain("platform.addDriftMonitor('Churn', {");
  });

  it('the alerting and remote-state snippets build', () => {
    const app = new App({ outdir: '/tmp/cdktf-mlops-readme', skipValidation: false });
    const stack = new TerraformStack(app, 'mlops');
    new MlopsPlatform(stack, 'Platform', {
      monitoringOptions: {
        alerting: {
          slack: { webhookUrl: { secretName: 'alerting', key: 'slack-url' }, channel: '#ml-alerts' },
          pagerDuty: { routingKey: { secretName: 'alerting', key: 'pagerduty-key' } },
          modelReceivers: { churn: { warning: 'pagerDuty' } },
        },
      },
    });
    new S3Backend(stack, { bucket: 'acme-tf-state', key: 'mlops/terraform.tfstate', region: 'eu-west-1', encrypt: true });
    stack.addOverride('terraform.backend.s3.use_lockfile', true);
    expect(JSON.parse(Testing.synth(stack)).terraform.backend.s3.use_lockfile).toBe(true);
    expect(readme).toContain("slack: { webhookUrl: { secretName: 'alerting', key: 'slack-url' }, channel: '#ml-alerts' },");
  });
});
