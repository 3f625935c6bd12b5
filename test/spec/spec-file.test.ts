import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { App } from '../../lib/core/cdktf';
import { loadSpec, specStacks, validateSpec, SpecError, formatProblem, platformFromSpec, ValidationError } from '../../lib';
import { synthStack } from '../../lib/testing';

/** An app whose stacks are built, never synthesized (App creates its empty outdir). */
const scratchApp = () => new App({ outdir: mkdtempSync(join(tmpdir(), 'spec-app-')) });

const problemsOf = (text: string) => validateSpec(scratchApp(), 'platform.yaml', text).map(formatProblem);

/** `line:column` of `needle` in `text`'s line `line` (1-based), so each expectation says what it points at. */
function at(text: string, line: number, needle: string): string {
  const col = text.split('\n')[line - 1]!.indexOf(needle);
  if (col < 0) throw new Error(`no ${needle} on line ${line}`);
  return `${line}:${col + 1}`;
}

const SERVING = `models:
  Churn:
    serving:
      model: models:/churn@champion
`;

describe('spec problems name the file, line, column, path, value and what is allowed', () => {
  it('a bad value, at the value', () => {
    expect(problemsOf(`namespace: mlops\n${SERVING}      minReplicas: 0\n`)).toEqual([
      'platform.yaml:6:20: models.Churn.serving.minReplicas: got 0; must be at least 1',
    ]);
  });

  it('an unknown prop, at its key, with the props allowed there', () => {
    const [problem] = problemsOf(`${SERVING}      replicas: 3\n`);
    expect(problem).toMatch(/^platform\.yaml:5:7: models\.Churn\.serving\.replicas: unknown prop "replicas"; allowed props here: .*minReplicas/);
  });

  it('a missing prop, at the mapping that lacks it', () => {
    expect(problemsOf('models:\n  Churn:\n    drift: { model: churn, current: logs/, features: [{ name: x }] }\n')).toEqual([
      'platform.yaml:3:12: models.Churn.drift.reference: got nothing (the prop is missing); Invalid input: expected string, received undefined',
    ]);
  });

  it('a value of the wrong kind inside a union (monitoring: false | {...}), at the nested value', () => {
    const text = 'monitoring:\n  alerting:\n    slack: { webhookUrl: { secretName: alerting, key: 7 } }\n';
    expect(problemsOf(text)).toEqual([
      `platform.yaml:${at(text, 3, '7')}: monitoring.alerting.slack.webhookUrl.key: got 7; Invalid input: expected string, received number`,
    ]);
  });

  it('a DVC remote naming a model without training, at the id, with the models that have one', () => {
    const text = `${SERVING}dvcRemotes:\n  Data: { trainingJobs: [Churn] }\n`;
    expect(problemsOf(text)).toEqual([
      `platform.yaml:${at(text, 6, 'Churn')}: dvcRemotes.Data.trainingJobs[0]: got "Churn"; must be the id of a model with training (none in models)`,
    ]);
  });

  it('an unknown backend kind, naming the kinds there are', () => {
    expect(problemsOf('backend: { kind: gcp }\n')[0]).toMatch(/^platform\.yaml:1:18: backend\.kind: got "gcp"; .*'in-cluster' \| 'aws'/);
  });

  it("a check across props that a construct makes (ModelDeployment: min above max), located like the schema's", () => {
    expect(problemsOf(`${SERVING}      minReplicas: 5\n      maxReplicas: 2\n`)).toEqual([
      'platform.yaml:5:20: models.Churn.serving.minReplicas: got 5; must be at most maxReplicas (2)',
    ]);
    expect(problemsOf('namespace: mlops\nmonitoring: { namespace: mlops }\n')[0]).toMatch(/^platform\.yaml:2:26: monitoring\.namespace: got "mlops" for both/);
  });

  it('a model that retrains without a training job', () => {
    const text = 'models:\n  Churn:\n    drift: { model: churn, reference: a.parquet, current: logs/, features: [{ name: x }], retrain: true }\n';
    expect(problemsOf(text)).toEqual([
      `platform.yaml:${at(text, 3, 'true')}: models.Churn.drift.retrain: got true; retrains this model's training job: add training to the model`,
    ]);
  });

  it('text that is not YAML, at the parser\'s position', () => {
    expect(problemsOf('a: [1, 2\nb: c\n')[0]).toMatch(/^platform\.yaml:2:1: \(spec\): not valid YAML or JSON: /);
    expect(problemsOf('namespace: a\nnamespace: b\n')[0]).toMatch(/^platform\.yaml:2:1: \(spec\): not valid YAML or JSON: Map keys must be unique/);
  });

  it('JSON is a spec too', () => {
    const text = '{"namespace": "mlops", "models": {"Churn": {"serving": {"model": "models:/churn@champion", "workers": 99}}}}';
    expect(problemsOf(text)).toEqual([
      `platform.yaml:${at(text, 1, '99')}: models.Churn.serving.workers: got 99; must be at most 32`,
    ]);
  });

  it('a valid spec has no problems', () => {
    expect(problemsOf(SERVING)).toEqual([]);
  });
});

describe('environments', () => {
  const FILE = `stack: fleet
tracking: { workers: 4, ingress: { host: mlflow.example.com } }
${SERVING}      minReplicas: 3
      env: { A: a, B: b }
      canary: { model: models:/churn@challenger, weight: 10 }
environments:
  staging:
    tracking: { ingress: { host: mlflow.staging.example.com } }
    models:
      Churn: { serving: { minReplicas: 1, env: { B: staging }, canary: null } }
  production:
    stack: prod
`;

  it('merge mappings key by key; values replace; null removes; one stack per environment', () => {
    const spec = loadSpec('platform.yaml', FILE);
    const [staging, production] = spec.environments;
    expect(staging!.stackName).toBe('fleet-staging');
    expect(production!.stackName).toBe('prod');
    expect(staging!.spec.tracking).toEqual({ workers: 4, ingress: { host: 'mlflow.staging.example.com' } });
    expect((staging!.spec.models as any).Churn.serving).toEqual({ model: 'models:/churn@champion', minReplicas: 1, env: { A: 'a', B: 'staging' } });
    expect((production!.spec.models as any).Churn.serving.minReplicas).toBe(3);
    const app = scratchApp();
    expect(specStacks(app, spec).map((s) => s.stack.node.id)).toEqual(['fleet-staging', 'prod']);
    expect(specStacks(scratchApp(), spec, ['staging']).map((s) => s.environment)).toEqual(['staging']);
  });

  it('lists replace the base list', () => {
    const spec = loadSpec('p.yaml', 'tracking: { extraAllowedHosts: [a, b] }\nenvironments:\n  dev: { tracking: { extraAllowedHosts: [c] } }\n');
    expect(spec.environments[0]!.spec.tracking).toEqual({ extraAllowedHosts: ['c'] });
  });

  it('a mapping of another kind replaces the base (backend in-cluster -> aws)', () => {
    const spec = loadSpec('p.yaml', `backend: { kind: in-cluster, kubeconfig: { context: kind-mlops } }
environments:
  prod: { backend: { kind: aws, region: eu-west-1, cluster: { clusterName: prod }, artifacts: { bucketName: acme-artifacts }, database: { privateSubnetIds: [subnet-a, subnet-b] } } }
`);
    expect((spec.environments[0]!.spec.backend as any).kubeconfig).toBeUndefined();
  });

  it('reject an override path that does not exist, at the override', () => {
    expect(() => loadSpec('platform.yaml', `${FILE}    models:\n      Chrun: { serving: { minReplicas: 2 } }\n`)).toThrow(SpecError);
    const problems = (text: string) => {
      try {
        loadSpec('platform.yaml', text);
        return [];
      } catch (err) {
        return (err as SpecError).problems.map(formatProblem);
      }
    };
    expect(problems(`${FILE}    models:\n      Chrun: { serving: { minReplicas: 2 } }\n`)).toEqual([
      'platform.yaml:18:7: environments.production.models.Chrun: the environment overrides model "Chrun", which the spec does not define; models here: Churn (environments change models, they do not add them)',
    ]);
    expect(problems(`${FILE}    tracking: { replica: 1 }\n`)[0]).toMatch(/^platform\.yaml:17:17: environments\.production\.tracking\.replica: unknown prop "replica"; .* \(environment production\)$/);
    expect(problems(`${FILE}    tracking: { auth: null }\n`)).toEqual([
      'platform.yaml:17:17: environments.production.tracking.auth: null removes a value, but the base spec sets nothing at auth',
    ]);
    expect(problems(`${FILE}    tracking: { replicas: 0 }\n`)).toEqual([
      'platform.yaml:17:27: environments.production.tracking.replicas: got 0; must be at least 1 (environment production)',
    ]);
    expect(problems(`${FILE}    regionn: x\n`)[0]).toMatch(/^platform\.yaml:17:5: environments\.production\.regionn: unknown prop "regionn"/);
    // A problem of the base is reported once, at the base.
    expect(problems(FILE.replace('minReplicas: 3', 'minReplicas: -1'))).toEqual(['platform.yaml:7:20: models.Churn.serving.minReplicas: got -1; must be at least 1']);
  });

  it('an unknown environment asked for is an error that names the environments', () => {
    expect(() => specStacks(scratchApp(), loadSpec('p.yaml', FILE), ['prod'])).toThrow(/no environment "prod"; environments here: staging, production/);
  });
});

describe('platformFromSpec', () => {
  it('builds from an object in TypeScript, with spec paths in its ValidationError', () => {
    const { json } = synthStack((stack) => platformFromSpec(stack, 'Platform', { namespace: 'team-a', models: { Churn: { serving: { model: 'models:/churn@champion' } } } }));
    expect(Object.keys(json.resource!.kubernetes_deployment_v1)).toHaveLength(2);
    let error: ValidationError | undefined;
    try {
      synthStack((stack) => platformFromSpec(stack, 'Platform', { models: { Churn: { serving: { model: 'models:/churn@champion', minReplicas: 5, maxReplicas: 2 } } } }));
    } catch (err) {
      error = err as ValidationError;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect(error!.problems).toEqual([{ propPath: 'models.Churn.serving.minReplicas', message: 'got 5; must be at most maxReplicas (2)' }]);
  });

  it('passes workloadDefaults to the platform: every object gets the labels, every pod the pull secrets', () => {
    const { json } = synthStack((stack) =>
      platformFromSpec(stack, 'Platform', {
        workloadDefaults: { labels: { 'acme.com/team': 'risk' }, imagePullSecrets: ['acme-registry'] },
        models: { Churn: { serving: { model: 'models:/churn@champion' } } },
      }),
    );
    const deployments = Object.values(json.resource!.kubernetes_deployment_v1 as Record<string, any>);
    expect(deployments.length).toBeGreaterThan(0);
    for (const d of deployments) {
      expect(d.metadata.labels['acme.com/team']).toBe('risk');
      expect(d.spec.template.spec.image_pull_secrets).toEqual([{ name: 'acme-registry' }]);
    }
  });
});
