/**
 * Test helpers for stacks built with cdktf-mlops, for vitest (cdktf ships
 * Jest-only matchers). Import from `cdktf-mlops/testing`:
 *
 * ```ts
 * import { expect } from 'vitest';
 * import { setupCdktfMatchers, synthJson, resourcesOf } from 'cdktf-mlops/testing';
 * setupCdktfMatchers(expect);
 * expect(Testing.synth(stack)).toHaveResourceWithProperties(DeploymentV1, { ... });
 * ```
 */
import type { Construct } from 'constructs';
import type {} from 'vitest';
import { App, Testing, TerraformStack } from '../core/cdktf';
import {
  getToHaveDataSourceWithProperties,
  getToHaveProviderWithProperties,
  getToHaveResourceWithProperties,
  type TerraformConstructor,
} from 'cdktf/lib/testing/matchers';

/** The subset of vitest's `expect` the adapter needs. */
export interface ExpectLike {
  extend(matchers: Record<string, (this: unknown, received: unknown, ...args: any[]) => { pass: boolean; message: () => string }>): void;
  arrayContaining(items: unknown[]): { asymmetricMatch(other: unknown): boolean };
  objectContaining(obj: Record<string, unknown>): unknown;
}

/** The matchers added by {@link setupCdktfMatchers}. */
export interface CdktfMatchers<R = unknown> {
  toHaveResource(resource: TerraformConstructor): R;
  toHaveResourceWithProperties(resource: TerraformConstructor, properties: Record<string, unknown>): R;
  toHaveDataSource(dataSource: TerraformConstructor): R;
  toHaveDataSourceWithProperties(dataSource: TerraformConstructor, properties: Record<string, unknown>): R;
  toHaveProvider(provider: TerraformConstructor): R;
  toHaveProviderWithProperties(provider: TerraformConstructor, properties: Record<string, unknown>): R;
}

declare module 'vitest' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface Matchers<T = any> extends CdktfMatchers<T> {}
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface AsymmetricMatchersContaining extends CdktfMatchers {}
}

/** Registers cdktf's matchers (`toHaveResourceWithProperties`, ...) on vitest's `expect`. */
export function setupCdktfMatchers(expect: ExpectLike): void {
  const evaluate = (items: unknown[], props: Record<string, unknown>): boolean =>
    Object.keys(props).length === 0
      ? items.length > 0
      : expect.arrayContaining([expect.objectContaining(props)]).asymmetricMatch(items);
  const wrap = (fn: (received: string, ctor: TerraformConstructor, props?: Record<string, unknown>) => { pass: boolean; message: string }) =>
    (received: unknown, ctor: TerraformConstructor, props: Record<string, unknown> = {}) => {
      const r = fn(received as string, ctor, props);
      return { pass: r.pass, message: () => r.message };
    };
  const resource = getToHaveResourceWithProperties(evaluate);
  const dataSource = getToHaveDataSourceWithProperties(evaluate);
  const provider = getToHaveProviderWithProperties(evaluate);
  expect.extend({
    toHaveResource: wrap(resource),
    toHaveResourceWithProperties: wrap(resource),
    toHaveDataSource: wrap(dataSource),
    toHaveDataSourceWithProperties: wrap(dataSource),
    toHaveProvider: wrap(provider),
    toHaveProviderWithProperties: wrap(provider),
  });
}

/** A synthesized stack as parsed JSON. */
export interface SynthesizedJson {
  readonly resource?: Record<string, Record<string, any>>;
  readonly data?: Record<string, Record<string, any>>;
  readonly provider?: Record<string, any[]>;
  readonly output?: Record<string, any>;
  readonly [key: string]: unknown;
}

/** Options of {@link synthStack} and {@link synthJson}. */
export interface SynthOptions {
  /**
   * Run cdktf's stack validations, as `cdktf synth` does (a resource without a
   * matching provider construct, for example, is an error). Turn off only to
   * inspect a stack that is known to be invalid.
   * @default true
   */
  readonly runValidations?: boolean;
}

/**
 * Builds a stack with `build`, synthesizes it with cdktf's validations (as
 * `cdktf synth` does) and returns the JSON text (for the matchers) and the parsed JSON.
 */
export function synthStack(
  build: (stack: TerraformStack) => void,
  options: SynthOptions = {},
): { text: string; json: SynthesizedJson; stack: TerraformStack } {
  const app = Testing.app({ stackTraces: false });
  const stack = new TerraformStack(app, 'test');
  build(stack);
  const text = Testing.synth(stack, options.runValidations ?? true);
  return { text, json: JSON.parse(text) as SynthesizedJson, stack };
}

/** Synthesizes a stack that is already built, with cdktf's validations unless turned off. */
export function synthJson(stack: TerraformStack, options: SynthOptions = {}): SynthesizedJson {
  return JSON.parse(Testing.synth(stack, options.runValidations ?? true)) as SynthesizedJson;
}

/** The resources of one Terraform type, keyed by their logical id. */
export function resourcesOf(json: SynthesizedJson, type: string): Record<string, any> {
  return json.resource?.[type] ?? {};
}

/** The single resource of a type whose `metadata.name` (or name) matches, or throws listing what exists. */
export function resourceNamed(json: SynthesizedJson, type: string, name: string): any {
  const all = Object.values(resourcesOf(json, type));
  const found = all.filter((r) => (r.metadata?.name ?? r.name) === name);
  if (found.length !== 1) {
    const names = all.map((r) => r.metadata?.name ?? r.name);
    throw new Error(`expected one ${type} named ${name}, found ${found.length}; names: ${names.join(', ')}`);
  }
  return found[0];
}

/** Every container (and init container) of every workload in the stack, with where it came from. */
export function allContainers(json: SynthesizedJson): { where: string; pod: any; container: any }[] {
  const out: { where: string; pod: any; container: any }[] = [];
  const podSpecs: [string, any][] = [];
  for (const [type, path] of [
    ['kubernetes_deployment_v1', (r: any) => r.spec?.template?.spec],
    ['kubernetes_stateful_set_v1', (r: any) => r.spec?.template?.spec],
    ['kubernetes_job_v1', (r: any) => r.spec?.template?.spec],
    ['kubernetes_cron_job_v1', (r: any) => r.spec?.job_template?.spec?.template?.spec],
    ['kubernetes_daemon_set_v1', (r: any) => r.spec?.template?.spec],
    ['kubernetes_pod_v1', (r: any) => r.spec],
  ] as const) {
    for (const [id, r] of Object.entries(resourcesOf(json, type))) podSpecs.push([`${type}.${id}`, path(r)]);
  }
  for (const [where, pod] of podSpecs) {
    for (const c of [...(pod?.init_container ?? []), ...(pod?.container ?? [])]) out.push({ where: `${where}/${c.name}`, pod, container: c });
  }
  return out;
}

/** Options of {@link secureDefaultViolations}. */
export interface SecureDefaultsOptions {
  /**
   * Pods (matched on the `where` of {@link allContainers}) that may mount a
   * service-account token because they call the Kubernetes API, besides the
   * library's own justified case, which is always recognized: a drift monitor
   * with `retrain`, whose service account is bound only to a Role that may
   * `get` CronJobs and `create` Jobs (see `lib/drift/retrain-trigger.ts`).
   * @default - no others
   */
  readonly tokenAllowedFor?: RegExp;
}

/**
 * Checks every container of the stack against the secure-workload defaults
 * (non-root, read-only root filesystem, no privilege escalation, capabilities
 * dropped, seccomp RuntimeDefault, no service-account token, requests and a
 * memory limit, a pinned image) and returns one line per violation: an empty
 * list means the stack meets them.
 */
export function secureDefaultViolations(json: SynthesizedJson, options: SecureDefaultsOptions = {}): string[] {
  const problems: string[] = [];
  const retrainers = retrainServiceAccounts(json);
  for (const { where, pod, container } of allContainers(json)) {
    const sc = container.security_context ?? {};
    const podSc = pod.security_context ?? {};
    // What the container runs with: its own setting, or the pod's where the container leaves it unset
    // (as Kubernetes applies them).
    const effective = (key: string) => sc[key] ?? podSc[key];
    const check = (ok: boolean, what: string) => {
      if (!ok) problems.push(`${where}: ${what}`);
    };
    check(effective('run_as_non_root') === true, 'run_as_non_root is not true');
    check(Number(effective('run_as_user')) > 0, 'run_as_user is not a non-root uid');
    check(sc.read_only_root_filesystem === true, 'root filesystem is writable');
    check(sc.allow_privilege_escalation === false, 'privilege escalation is allowed');
    check(sc.privileged !== true, 'privileged');
    check((sc.capabilities?.drop ?? []).includes('ALL'), 'capabilities are not dropped');
    check(effective('seccomp_profile')?.type === 'RuntimeDefault', 'seccomp profile is not RuntimeDefault');
    check(
      pod.automount_service_account_token === false || retrainers.has(String(pod.service_account_name)) || (options.tokenAllowedFor?.test(where) ?? false),
      'mounts a service-account token',
    );
    check(container.resources?.requests?.cpu !== undefined, 'no CPU request');
    check(container.resources?.requests?.memory !== undefined, 'no memory request');
    check(container.resources?.limits?.memory !== undefined, 'no memory limit');
    check(/(:[\w][\w.-]*|@sha256:[a-f0-9]{64})$/.test(container.image) && !/:latest$/.test(container.image), `image ${container.image} is not pinned`);
  }
  return problems;
}

/**
 * Service accounts (as they appear in pod specs) whose only bindings are to the
 * library's retrain Role: `get` on CronJobs by name and `create` on Jobs, nothing else.
 */
function retrainServiceAccounts(json: SynthesizedJson): Set<string> {
  const roles = resourcesOf(json, 'kubernetes_role_v1');
  const isRetrainRole = (name: string) =>
    Object.values(roles).some((r: any) => {
      if (r.metadata?.name !== name && `\${kubernetes_role_v1.${Object.keys(roles).find((k) => roles[k] === r)}.metadata[0].name}` !== name) return false;
      const rules = (r.rule ?? []).map((x: any) => `${(x.resources ?? []).join(',')}:${(x.verbs ?? []).join(',')}`).sort();
      return JSON.stringify(rules) === JSON.stringify(['cronjobs:get', 'jobs:create']);
    });
  const bound = new Map<string, boolean>();
  for (const b of Object.values(resourcesOf(json, 'kubernetes_role_binding_v1')) as any[]) {
    const ok = b.role_ref?.kind === 'Role' && isRetrainRole(b.role_ref?.name);
    for (const s of b.subject ?? []) if (s.kind === 'ServiceAccount') bound.set(String(s.name), (bound.get(String(s.name)) ?? true) && ok);
  }
  for (const b of Object.values(resourcesOf(json, 'kubernetes_cluster_role_binding_v1')) as any[]) for (const s of b.subject ?? []) bound.set(String(s.name), false);
  return new Set([...bound].filter(([, ok]) => ok).map(([name]) => name));
}

/** A fresh app for tests that build several stacks. */
export function testApp(): App {
  return Testing.app({ stackTraces: false });
}

export type { Construct };
