import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect } from 'vitest';
import { TerraformStack } from '../../lib/core/cdktf';
import { MlopsPlatform } from '../../lib/platform/mlops-platform';
import { addAllFeaturesPlatform } from '../support/all-features';
import { synthApp, synthExample, type SynthesizedStack } from '../support/app-synth';
import { resolveReferences } from '../support/terraform';
import { crdFiles, HELM, KUBERNETES_VALIDATE, requireHelm, requireKubernetesValidate, VENV_PYTHON } from '../support/python-tools';
import { itWithTool, requireTool, type ToolCheck } from '../support/tools';

// helm lint and helm template of the charts the library ships (model-route, registry-db-secret,
// mlops-objectives, disruption-budgets), with exactly the values the constructs pass; the rendered objects are checked by
// kubernetes-validate (built-in kinds) and against the upstream CRDs of their custom kinds
// (validate_custom_resources.py). The PrometheusRule CRD is not among the CRDs real-tools.sh fetches, so
// the objectives' rendered rule groups are checked by promtool instead, the way Prometheus loads them.
const VALIDATE_CRS = resolve(__dirname, 'validate_custom_resources.py');

// What Terraform substitutes at apply time for a reference that is not a Kubernetes name, by what it is.
function awsValue(expr: string): string {
  if (/\.region$/.test(expr)) return 'eu-west-1';
  if (/secret_arn$/.test(expr)) return 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:rds!db-0123-AbCdEf';
  if (/\.address$/.test(expr)) return 'mlflow.abc123.eu-west-1.rds.amazonaws.com';
  return 'known';
}

/** The releases of charts shipped in the stack's assets, with their values as Terraform passes them. */
function localReleases(stack: SynthesizedStack) {
  return Object.entries((stack.json.resource as any).helm_release as Record<string, any>)
    .filter(([, r]) => String(r.chart).startsWith('assets/'))
    .map(([id, r]) => ({
      id,
      name: r.name as string,
      namespace: resolveReferences(stack.json, String(r.namespace), awsValue),
      chart: join(stack.dir, r.chart),
      values: (r.values as string[]).map((v) => resolveReferences(stack.json, v, awsValue)),
    }));
}

/** The chart a release installs, by its Chart.yaml name. */
const chartName = (dir: string) => /^name:\s*(\S+)/m.exec(readFileSync(join(dir, 'Chart.yaml'), 'utf8'))![1]!;
const CHART_OF_KIND: Record<string, string> = {
  ExternalSecret: 'registry-db-secret', HTTPRoute: 'model-route', PrometheusRule: 'mlops-objectives', PodDisruptionBudget: 'disruption-budgets',
};

/**
 * Each rendered budget selects the pods of both variants of exactly one model, or of its one other
 * Deployment (the tracking server's, with several replicas), as the pod templates label them, and lets
 * unready pods be evicted; every served model has one.
 */
function checkBudgets(stack: SynthesizedStack, renderedFile: string): void {
  const docs = JSON.parse(execFileSync(VENV_PYTHON, ['-c', 'import json, sys, yaml; print(json.dumps([d for d in yaml.safe_load_all(open(sys.argv[1])) if d]))', renderedFile], { encoding: 'utf8' }));
  const deployments = Object.values((stack.json.resource as any).kubernetes_deployment_v1 as Record<string, any>);
  const models = deployments.filter((d) => d.metadata.labels['app.kubernetes.io/component'] === 'model-server');
  expect(models.length).toBeGreaterThan(0);
  const selected = new Set<string>();
  for (const pdb of docs) {
    expect(pdb.spec.unhealthyPodEvictionPolicy).toBe('AlwaysAllow');
    const matches = deployments.filter((d) => Object.entries(pdb.spec.selector.matchLabels).every(([k, v]) => d.spec.template.metadata.labels[k] === v));
    const model = pdb.metadata.labels['mlops.cdktf.io/model'];
    // A model's budget covers its stable and canary Deployments; any other workload's, its one Deployment.
    const expected = model ? models.filter((d) => d.metadata.labels['mlops.cdktf.io/model'] === model).map((d) => d.metadata.name) : [pdb.metadata.name.replace(/-pdb$/, '')];
    expect(pdb.metadata.name).toBe(`${model ?? expected[0]}-pdb`);
    expect(matches.map((d) => d.metadata.name).sort(), pdb.metadata.name).toEqual(expected.sort());
    for (const d of matches) selected.add(d.metadata.name);
  }
  for (const d of models) expect(selected.has(d.metadata.name), `${d.metadata.name} has a budget`).toBe(true);
  // The tracking server has one with more than one replica.
  for (const d of deployments.filter((x) => x.metadata.labels['app.kubernetes.io/component'] === 'tracking-server')) {
    expect(selected.has(d.metadata.name), `${d.metadata.name} (${d.spec.replicas} replicas) has a budget`).toBe(Number(d.spec.replicas) > 1);
  }
}

const tools: ToolCheck = (() => {
  for (const check of [requireHelm(), requireKubernetesValidate()]) if (!check.available) return check;
  return crdFiles().length === 3 ? { available: true, reason: '' } : { available: false, reason: 'MLOPS_CRDS (from scripts/ci/real-tools.sh) does not name the three CRD files' };
})();

const withPromtool: ToolCheck = tools.available ? requireTool('promtool') : tools;

describe('local charts: helm lint, helm template, and the rendered objects validated', () => {
  const cases: [string, () => SynthesizedStack, string][] = [
    ['registry-db-secret (examples/aws)', () => synthExample('aws')['mlops-aws'], 'ExternalSecret'],
    ['model-route (gateway canary of the all-features platform)', () => synthApp((app) => { addAllFeaturesPlatform(new TerraformStack(app, 'all-features')); })['all-features'], 'HTTPRoute'],
    ['mlops-objectives (examples/local)', () => synthExample('local')['mlops-local'], 'PrometheusRule'],
    ['disruption-budgets (examples/local)', () => synthExample('local')['mlops-local'], 'PodDisruptionBudget'],
    ['disruption-budgets (three tracking replicas and a model)', () => synthApp((app) => {
      const platform = new MlopsPlatform(new TerraformStack(app, 'replicas'), 'Platform', { monitoring: false, artifactVolume: { accessMode: 'ReadWriteMany' }, tracking: { replicas: 3 } });
      platform.addModel('Churn', { model: 'models:/churn@champion' });
    })['replicas'], 'PodDisruptionBudget'],
    ['disruption-budgets (both canary modes of the all-features platform)', () => synthApp((app) => { addAllFeaturesPlatform(new TerraformStack(app, 'all-features')); })['all-features'], 'PodDisruptionBudget'],
  ];
  for (const [name, synth, kind] of cases) {
    itWithTool(kind === 'PrometheusRule' ? withPromtool : tools, name, () => {
      const stack = synth();
      const releases = localReleases(stack).filter((r) => chartName(r.chart) === CHART_OF_KIND[kind]);
      expect(releases.length).toBeGreaterThan(0);
      for (const r of releases) {
        const dir = mkdtempSync(join(tmpdir(), 'helm-'));
        const valueArgs = r.values.flatMap((v, i) => {
          const file = join(dir, `values-${i}.json`);
          writeFileSync(file, v);
          return ['-f', file];
        });
        const lint = spawnSync(HELM, ['lint', '--strict', r.chart, ...valueArgs], { encoding: 'utf8' });
        expect(lint.status, `helm lint ${r.id}:\n${lint.stdout}${lint.stderr}`).toBe(0);
        const rendered = execFileSync(HELM, ['template', r.name, r.chart, '--namespace', r.namespace, ...valueArgs], { encoding: 'utf8' });
        expect(rendered).toContain(`kind: ${kind}`);
        const file = join(dir, 'rendered.yaml');
        writeFileSync(file, rendered);
        const builtIn = spawnSync(KUBERNETES_VALIDATE, ['--strict', '--quiet', '-k', '1.33', file], { encoding: 'utf8' });
        expect(builtIn.status, `kubernetes-validate ${r.id}:\n${builtIn.stdout}${builtIn.stderr}`).toBe(0);
        if (kind === 'PrometheusRule') {
          const spec = execFileSync(VENV_PYTHON, ['-c', 'import json, sys, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))["spec"]))', file], { encoding: 'utf8' });
          writeFileSync(join(dir, 'rules.json'), spec);
          const promtool = spawnSync('promtool', ['check', 'rules', join(dir, 'rules.json')], { encoding: 'utf8' });
          expect(promtool.status, `promtool ${r.id}:\n${promtool.stdout}${promtool.stderr}`).toBe(0);
          expect(promtool.stdout).toMatch(/SUCCESS: [1-9]\d* rules found/);
          continue;
        }
        if (kind === 'PodDisruptionBudget') {
          checkBudgets(stack, file);
          continue;
        }
        const custom = spawnSync(VENV_PYTHON, [VALIDATE_CRS, file, ...crdFiles()], { encoding: 'utf8' });
        expect(custom.status, `custom resources of ${r.id}:\n${custom.stdout}${custom.stderr}`).toBe(0);
        expect(custom.stderr).toMatch(/checked [1-9]\d* custom resources/);
      }
    }, 120_000);
  }
});
