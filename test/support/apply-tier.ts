import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { realToolPath } from './real-tools-env';
import type { App, TerraformStack } from '../../lib/core/cdktf';
import { synthApp, type SynthesizedStack } from './app-synth';
import { KubeletStandIn } from './kubelet-stand-in';
import { type KubeApi, requireControlPlane, startControlPlane, stopControlPlane } from './kube-api';
import { apiPath } from './kube-paths';
import { missingProviders, requireTerraform, resolveReferences, TERRAFORM, tfEnv } from './terraform';
import { withoutRemoteCharts } from './without-remote-charts';

/** What one apply-tier run applies. */
export interface AppliedStack {
  /** The describe block's title. */
  readonly title: string;
  /** Builds the stack in a real App (synthesized with cdktf's validations on, as `cdktf synth` does). */
  readonly build: (app: App) => TerraformStack;
  /** The namespace whose pods must pass Pod Security `restricted`. */
  readonly namespace: string;
  /** The addresses withoutRemoteCharts must turn off, with why. */
  readonly turnedOff: string[];
  /** Dependents of remote charts to keep on (withoutRemoteCharts' `keep`), their CRDs installed by `crds`. */
  readonly keep?: (address: string) => boolean;
  /** CustomResourceDefinitions (YAML files) the applied local charts render objects of. */
  readonly crds?: () => string[];
}

const tools = () => [requireControlPlane(), requireTerraform()].find((t) => !t.available);

/** Terraform's output from its first error on (plans of these stacks are thousands of lines). */
const errorsOf = (out: string) => (out.includes('Error:') ? out.slice(out.indexOf('Error:')) : out.slice(-4000));

/**
 * The apply tier (issue 10 §3; `npm run test:apply`, not part of `npm test`: its control plane takes
 * about 35 minutes to build cold). A stack synthesized through the app, applied by the real Terraform
 * and providers to a real kube-apiserver (+ etcd, kube-controller-manager), then planned again and
 * destroyed. Remote charts cannot be pulled offline, so their releases (and what depends on them) are
 * turned off by a test-only aspect; kubelet and scheduler are stood in for (see KubeletStandIn), since
 * no container can run here.
 */
export function describeApplied(target: AppliedStack): void {
  const NS = target.namespace;
  describe(target.title, () => {
    const missingTool = tools();
    if (missingTool) {
      it.skip(`[skipped: ${missingTool.reason}]`, () => undefined);
      return;
    }
    const work = mkdtempSync(join(tmpdir(), 'apply-tier-'));
    let api: KubeApi;
    let standIn: KubeletStandIn;
    let stack: SynthesizedStack;
    let turnedOff: string[] = [];
    const home = join(work, 'home');

    /**
     * Terraform in the stack's directory, with ~/.kube/config (the example's provider config) pointing
     * here. Asynchronous, so the kubelet stand-in keeps running while Terraform waits on rollouts.
     */
    const terraform = (...args: string[]) =>
      new Promise<{ status: number | null; out: string }>((done) => {
        const flags = args[0] === 'state' ? [] : ['-no-color', '-input=false'];
        const child = spawn(TERRAFORM, [...args, ...flags], { cwd: stack.dir, env: { ...tfEnv(), HOME: home } });
        let out = '';
        child.stdout.on('data', (c) => (out += c));
        child.stderr.on('data', (c) => (out += c));
        child.on('close', (status) => done({ status, out }));
      });
    const events = async (reason: string) =>
      ((await api.get(`/api/v1/namespaces/${NS}/events`)).items as any[])
        .filter((e) => e.reason === reason)
        .map((e) => `${e.involvedObject.kind}/${e.involvedObject.name}: ${e.message}`);
    /** Every resource and data source Terraform should manage: all but those the aspect turned off. */
    const managed = () =>
      (['resource', 'data'] as const).flatMap((block) =>
        Object.entries(((stack.json as any)[block] ?? {}) as Record<string, Record<string, any>>).flatMap(([type, rs]) =>
          Object.entries(rs)
            .filter(([, r]) => r.count !== 0)
            .map(([id, r]) => ({ address: `${block === 'data' ? 'data.' : ''}${type}.${id}`, config: r, resource: block === 'resource' }))));

    beforeAll(async () => {
      api = startControlPlane(join(work, 'cluster'));
      mkdirSync(join(home, '.kube'), { recursive: true });
      copyFileSync(api.kubeconfig, join(home, '.kube', 'config'));
      standIn = new KubeletStandIn(api);
      await standIn.start();
      const stacks = synthApp((app) => {
        turnedOff = withoutRemoteCharts(target.build(app), target.keep);
      });
      stack = Object.values(stacks)[0]!;
      for (const crd of target.crds?.() ?? []) await installCrd(api, crd);
      expect(missingProviders(stack.json)).toEqual([]);
      const init = await terraform('init', `-backend-config=path=${join(work, 'terraform.tfstate')}`);
      expect(init.status, init.out).toBe(0);
    }, 600_000);

    afterAll(async () => {
      await standIn?.stop();
      stopControlPlane(join(work, 'cluster'));
      if (!process.env.MLOPS_APPLY_KEEP) {
        rmSync(work, { recursive: true, force: true });
        if (stack) rmSync(resolve(stack.dir, '../..'), { recursive: true, force: true });
      } else console.warn(`apply tier: kept ${work} and ${stack?.dir}`);
    }, 180_000);

    it('turns off only the remote charts and what needs them', () => {
      expect(turnedOff.sort()).toEqual([...target.turnedOff].sort());
    });

    it('applies: the API server accepts every object', async () => {
      const apply = await terraform('apply', '-auto-approve');
      const failed = apply.status === 0 ? [] : await events('FailedCreate');
      expect(apply.status, `${errorsOf(apply.out)}\nFailedCreate events:\n${failed.join('\n')}\nstand-in errors: ${standIn.errors.join('\n')}`).toBe(0);
      const state = await terraform('state', 'list');
      expect(state.out.trim().split('\n').sort()).toEqual(managed().map((r) => r.address).sort());
      for (const { address, config } of managed().filter((r) => r.resource)) {
        const path = apiPath(address.split('.')[0]!, config, (ref) => resolveReferences(stack.json, ref));
        if (path) expect((await api.call('GET', path)).status, `${address} at ${path}`).toBe(200);
      }
    }, 1_500_000);

    it('has every pod the controllers create admitted by the namespace\'s Pod Security "restricted" level', async () => {
      const ns = await api.get(`/api/v1/namespaces/${NS}`);
      expect(ns.metadata.labels['pod-security.kubernetes.io/enforce']).toBe('restricted');
      // The level is enforced here: a pod with no security context is refused.
      const bare = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'apply-tier-bare' }, spec: { containers: [{ name: 'c', image: 'busybox:1.36' }] } };
      const refused = await api.call('POST', `/api/v1/namespaces/${NS}/pods?dryRun=All`, bare);
      expect({ status: refused.status, podSecurity: /violates PodSecurity "restricted:latest"/.test(refused.body.message) }).toEqual({ status: 403, podSecurity: true });
      // Pods of Deployments and StatefulSets, and of a Job made from each CronJob's template (as
      // `kubectl create job --from=cronjob/...` does), all created by the real controllers.
      const cronJobs = (await api.get(`/apis/batch/v1/namespaces/${NS}/cronjobs`)).items as any[];
      expect(cronJobs.length).toBeGreaterThan(0);
      for (const cj of cronJobs) {
        const job = { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: `${cj.metadata.name}-apply`, labels: cj.spec.jobTemplate.metadata?.labels }, spec: cj.spec.jobTemplate.spec };
        const res = await api.call('POST', `/apis/batch/v1/namespaces/${NS}/jobs`, job);
        expect(res.status, JSON.stringify(res.body)).toBe(201);
      }
      const owners = [
        ...((await api.get(`/apis/apps/v1/namespaces/${NS}/deployments`)).items as any[]).filter((d) => d.spec.replicas > 0).map((d) => ({ kind: 'Deployment', ...d })),
        ...((await api.get(`/apis/apps/v1/namespaces/${NS}/statefulsets`)).items as any[]).map((s) => ({ kind: 'StatefulSet', ...s })),
        ...cronJobs.map((cj) => ({ kind: 'Job', metadata: { name: `${cj.metadata.name}-apply` }, spec: { selector: { matchLabels: { 'batch.kubernetes.io/job-name': `${cj.metadata.name}-apply` } } } })),
      ];
      const withoutPods = async () => {
        const missing: string[] = [];
        for (const o of owners) {
          const selector = Object.entries(o.spec.selector.matchLabels as Record<string, string>).map(([k, v]) => `${k}=${v}`).join(',');
          const pods = (await api.get(`/api/v1/namespaces/${NS}/pods?labelSelector=${encodeURIComponent(selector)}`)).items as any[];
          if (pods.length === 0) missing.push(`${o.kind}/${o.metadata.name}`);
        }
        return missing;
      };
      let missing = await withoutPods();
      for (let i = 0; i < 60 && missing.length > 0; i++) {
        await new Promise((r) => setTimeout(r, 2000));
        missing = await withoutPods();
      }
      expect({ withoutPods: missing, failedCreate: await events('FailedCreate') }).toEqual({ withoutPods: [], failedCreate: [] });
    }, 300_000);

    it('plans no change on a second plan', async () => {
      const plan = await terraform('plan', '-detailed-exitcode');
      expect(plan.status, plan.out.slice(0, 20_000)).toBe(0);
    }, 600_000);

    it('refuses to destroy: each retained resource stops it, and nothing is deleted', async () => {
      const retained = managed().filter((r) => r.config.lifecycle?.prevent_destroy === true).map((r) => r.address);
      expect(retained.length).toBeGreaterThan(0);
      const destroy = await terraform('destroy', '-auto-approve');
      expect(destroy.status, errorsOf(destroy.out)).toBe(1);
      // Terraform stops at the first retained resource it meets; each one, targeted alone, stops it too.
      const stoppedBy = (out: string) => [...out.replace(/\s+/g, ' ').matchAll(/Resource (\S+) has lifecycle\.prevent_destroy set/g)].map((m) => m[1]);
      expect(retained).toEqual(expect.arrayContaining(stoppedBy(destroy.out)));
      expect(stoppedBy(destroy.out).length).toBeGreaterThan(0);
      for (const address of retained) {
        // (a retained resource with retained dependents, the namespace, is stopped by those first)
        const plan = await terraform('plan', '-destroy', '-refresh=false', `-target=${address}`);
        const by = stoppedBy(plan.out);
        expect({ address, status: plan.status, stopped: by.length > 0 && by.every((b) => retained.includes(b)) }, errorsOf(plan.out))
          .toEqual({ address, status: 1, stopped: true });
      }
      // An unretained resource nothing retained depends on may go: it is the retention that stops destroy.
      const unretained = managed().find((r) => r.address.startsWith('kubernetes_config_map_v1.Platform_Monitoring_Dashboard-overview'))!.address;
      const free = await terraform('plan', '-destroy', '-refresh=false', `-target=${unretained}`);
      expect(free.status, errorsOf(free.out)).toBe(0);
      expect((await terraform('state', 'list')).out.trim().split('\n').length).toBe(managed().length);
      expect((await api.get(`/api/v1/namespaces/${NS}`)).status?.phase).toBe('Active');
    }, 900_000);
  });
}

/** Creates a CustomResourceDefinition from its YAML file and waits until it is served. */
async function installCrd(api: KubeApi, file: string): Promise<void> {
  const json = execFileSync('/usr/bin/python3', ['-c', 'import json, sys, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))', file], { encoding: 'utf8' });
  const crd = JSON.parse(json);
  const res = await api.call('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd);
  if (res.status !== 201) throw new Error(`CRD ${file}: ${res.status} ${JSON.stringify(res.body)}`);
  for (let i = 0; i < 60; i++) {
    const got = await api.get(`/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata.name}`);
    if ((got.status?.conditions ?? []).some((c: any) => c.type === 'Established' && c.status === 'True')) return;
    await new Promise((r) => setTimeout(r, 1000));
  }
  throw new Error(`CRD ${crd.metadata.name} not established`);
}

/** The PrometheusRule CRD (scripts/apply-tier/prometheus-rule-crd.sh), for the objectives charts. */
export function prometheusRuleCrd(): string {
  return execFileSync('bash', [resolve(__dirname, '../../scripts/apply-tier/prometheus-rule-crd.sh')], { encoding: 'utf8' }).trim();
}

/** Keeps the objectives charts on: their PrometheusRules need only the CRD, which the test installs. */
export const keepObjectives = (address: string) => address.startsWith('helm_release.Platform_Monitoring_Objectives-');

/** A CRD file of MLOPS_CRDS (scripts/ci/real-tools.sh) by its file name's end. */
export function crdFile(endsWith: string): string {
  const file = (realToolPath('MLOPS_CRDS') ?? '').split(':').find((f) => f.endsWith(endsWith));
  if (!file) throw new Error(`no ${endsWith} in MLOPS_CRDS: run scripts/ci/real-tools.sh`);
  return file;
}
