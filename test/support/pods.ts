import { resourcesOf, type SynthesizedJson } from '../../lib/testing';

/**
 * A container as the pod would run it, read from a synthesized cdk.tf.json:
 * command, args and env, with Secret references resolved and in-cluster
 * names rewritten for a process on this machine. The tests that run our
 * programs against real servers start them from this, so a change to what
 * the constructs synthesize is what the tests run.
 */
export interface PodProcess {
  readonly command: string[];
  readonly args: string[];
  readonly env: Record<string, string>;
}

/** Where pod specs live in each workload type. */
const POD_SPEC: Record<string, (r: any) => any> = {
  kubernetes_deployment_v1: (r) => r.spec?.template?.spec,
  kubernetes_job_v1: (r) => r.spec?.template?.spec,
  kubernetes_cron_job_v1: (r) => r.spec?.job_template?.spec?.template?.spec,
};

/** The pod spec of the workload of `type` named `name` (metadata.name). */
export function podSpecOf(json: SynthesizedJson, type: keyof typeof POD_SPEC | string, name: string): any {
  const found = Object.values(resourcesOf(json, type)).filter((r: any) => r.metadata?.name === name);
  if (found.length !== 1) {
    const names = Object.values(resourcesOf(json, type)).map((r: any) => r.metadata?.name);
    throw new Error(`expected one ${type} named ${name}; found ${found.length} among ${names.join(', ')}`);
  }
  return POD_SPEC[type]!(found[0]);
}

/** A container (or init container) of a pod spec, by name. */
export function containerOf(pod: any, name: string): any {
  const c = [...(pod.init_container ?? []), ...(pod.container ?? [])].find((x: any) => x.name === name);
  if (!c) throw new Error(`no container ${name}; have ${[...(pod.init_container ?? []), ...(pod.container ?? [])].map((x: any) => x.name).join(', ')}`);
  return c;
}

/** The data of the ConfigMap named `name`. */
export function configMapData(json: SynthesizedJson, name: string): Record<string, string> {
  const cm = Object.values(resourcesOf(json, 'kubernetes_config_map_v1')).find((r: any) => r.metadata?.name === name);
  if (!cm) throw new Error(`no ConfigMap ${name}`);
  return cm.data;
}

/** Resolves a Secret key an env var refers to: `secret` is the Secret's name as synthesized (maybe a reference). */
export type SecretResolver = (secret: string, key: string) => string | undefined;

/**
 * Literal Secret data of the stack: a reference `${kubernetes_secret_v1.<id>.metadata[0].name}` or a
 * plain name resolves to that Secret's `data[key]` when it is a literal (not a Terraform reference).
 */
export function literalSecrets(json: SynthesizedJson): SecretResolver {
  const secrets = resourcesOf(json, 'kubernetes_secret_v1');
  return (secret, key) => {
    const ref = /^\$\{kubernetes_secret_v1\.([^.]+)\.metadata\[0\]\.name\}$/.exec(secret);
    const found = ref ? secrets[ref[1]!] : Object.values(secrets).find((s: any) => s.metadata?.name === secret);
    const value = found?.data?.[key];
    return typeof value === 'string' && !value.includes('${') ? value : undefined;
  };
}

/**
 * The process of a container: env values and Secret keys (through `secrets`, in order; an
 * unresolvable Secret key is an error naming it), then `rewrite` applied to the command, args and
 * every env value in one pass (longest match first, replaced text is not rewritten again): in-cluster
 * URLs to loopback, mount paths to temp dirs.
 */
export function podProcess(container: any, secrets: SecretResolver[], rewrite: Record<string, string> = {}): PodProcess {
  const keys = Object.keys(rewrite).sort((a, b) => b.length - a.length);
  const pattern = keys.length ? new RegExp(keys.map((k) => k.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'g') : undefined;
  const map = (v: string) => (pattern ? v.replace(pattern, (m) => rewrite[m]!) : v);
  const env: Record<string, string> = {};
  for (const e of container.env ?? []) {
    if (e.value !== undefined) {
      env[e.name] = map(String(e.value));
      continue;
    }
    const ref = e.value_from?.secret_key_ref;
    if (!ref) throw new Error(`env ${e.name}: unsupported value_from ${JSON.stringify(e.value_from)}`);
    const value = secrets.map((s) => s(ref.name, ref.key)).find((v) => v !== undefined);
    if (value === undefined) throw new Error(`env ${e.name}: no value for Secret ${ref.name} key ${ref.key}`);
    env[e.name] = map(value);
  }
  return { command: (container.command ?? []).map(map), args: (container.args ?? []).map(map), env };
}
