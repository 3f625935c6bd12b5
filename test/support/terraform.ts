import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SynthesizedJson } from '../../lib/testing';
import type { ToolCheck } from './tools';
import { realToolPath, TOOLS_HOME } from './real-tools-env';

/**
 * The real Terraform CLI and providers, as scripts/ci/real-tools.sh lays them out (its `export` lines
 * override these defaults): a Terraform built from the Go module proxy, and a filesystem mirror of the
 * providers the cdktf bindings were generated from, with a CLI config that makes `init` work offline.
 */
export const TERRAFORM = realToolPath('MLOPS_TERRAFORM') ?? '<not installed: run scripts/ci/real-tools.sh>';
const CLI_CONFIG = realToolPath('MLOPS_TF_CLI_CONFIG') ?? join(TOOLS_HOME, 'terraformrc');
const MIRROR = join(TOOLS_HOME, 'mirror');

export function requireTerraform(): ToolCheck {
  try {
    execFileSync(TERRAFORM, ['version'], { stdio: 'pipe', env: tfEnv() });
    if (!existsSync(CLI_CONFIG)) return { available: false, reason: `no CLI config at ${CLI_CONFIG}; run scripts/ci/real-tools.sh` };
    return { available: true, reason: '' };
  } catch (err) {
    return { available: false, reason: `${TERRAFORM} version failed (${(err as Error).message.split('\n')[0]}); run scripts/ci/real-tools.sh` };
  }
}

/** The provider binary `init` installs for `hashicorp/<type>` at `version`, from the mirror. */
export function providerBinary(type: string, version: string): string {
  return join(MIRROR, 'registry.terraform.io/hashicorp', type, version, 'linux_amd64', `terraform-provider-${type}_v${version}`);
}

/** Providers the stack requires that the mirror does not hold, as `type@version`. */
export function missingProviders(json: SynthesizedJson): string[] {
  const required = ((json.terraform as any)?.required_providers ?? {}) as Record<string, { version: string }>;
  return Object.entries(required)
    .filter(([type, p]) => !existsSync(providerBinary(type, p.version)))
    .map(([type, p]) => `${type}@${p.version}`);
}

export function tfEnv(): NodeJS.ProcessEnv {
  return { ...process.env, TF_CLI_CONFIG_FILE: CLI_CONFIG, TF_IN_AUTOMATION: '1', CHECKPOINT_DISABLE: '1', TF_INPUT: '0' };
}

/** One diagnostic of `terraform validate -json`. */
export interface Diagnostic {
  readonly severity: 'error' | 'warning';
  readonly summary: string;
  readonly detail?: string;
  readonly address?: string;
  readonly range?: { filename: string };
}

/**
 * `terraform init -backend=false` and `terraform validate -json` on a synthesized stack: Terraform
 * parses every expression and each provider checks every argument with its own schema and
 * validation functions. Returns the diagnostics, each with the address it is about.
 */
export function terraformValidate(json: SynthesizedJson): Diagnostic[] {
  const dir = mkdtempSync(join(tmpdir(), 'tf-validate-'));
  // init -backend=false ignores the backend block, so an S3 backend needs no credentials here
  writeFileSync(join(dir, 'cdk.tf.json'), JSON.stringify(json));
  const init = spawnSync(TERRAFORM, ['init', '-backend=false', '-no-color'], { cwd: dir, env: tfEnv(), encoding: 'utf8' });
  if (init.status !== 0) throw new Error(`terraform init failed in ${dir}:\n${init.stdout}\n${init.stderr}`);
  const run = spawnSync(TERRAFORM, ['validate', '-json', '-no-color'], { cwd: dir, env: tfEnv(), encoding: 'utf8', maxBuffer: 64 << 20 });
  const out = JSON.parse(run.stdout) as { valid: boolean; diagnostics: Diagnostic[] };
  return out.diagnostics.map((d: any) => ({ ...d, address: d.address ?? d.snippet?.context }));
}

/** Diagnostics as readable lines, for assertion messages. */
export function describeDiagnostics(diags: Diagnostic[]): string[] {
  return diags.map((d) => `${d.severity}: ${d.summary}${d.address ? ` [${d.address}]` : ''}${d.detail ? `: ${d.detail}` : ''}`);
}

const AWS_REF = /\b(?:data\.)?aws_[a-z0-9_]+\.[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_]+|\[[^\]]*\])*/g;

/**
 * Stands in for the AWS provider, which is out of reach here: its module is not served by the Go module
 * proxy at the release the bindings target, and it is a ~700 MB build of over an hour. Removes every
 * aws resource, data source and provider, and turns each reference to one into `var.aws_stand_in`, an
 * input variable of type `any` that `validate` treats as unknown. Everything else (the kubernetes,
 * helm and random parts, and every expression) is still checked by the real Terraform and providers;
 * values that come from AWS are not.
 */
export function withoutAws(json: SynthesizedJson): SynthesizedJson {
  const j = structuredClone(json) as any;
  for (const block of ['resource', 'data']) {
    for (const type of Object.keys(j[block] ?? {})) if (type.startsWith('aws_')) delete j[block][type];
    if (j[block] && Object.keys(j[block]).length === 0) delete j[block];
  }
  delete j.provider?.aws;
  delete j.terraform?.required_providers?.aws;
  delete j.terraform?.backend;
  j.variable = { ...(j.variable ?? {}), aws_stand_in: { type: 'any' } };
  const rewrite = (v: unknown, key?: string): unknown => {
    if (typeof v === 'string') return v.includes('${') ? v.replace(/\$\{([^}]*)\}/g, (_m, expr: string) => `\${${expr.replace(AWS_REF, 'var.aws_stand_in')}}`) : v;
    if (Array.isArray(v)) {
      const items = key === 'depends_on' ? v.filter((d) => !(typeof d === 'string' && /^(data\.)?aws_/.test(d))) : v;
      return items.map((x) => rewrite(x));
    }
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, rewrite(x, k)]));
    return v;
  };
  return rewrite(j) as SynthesizedJson;
}

/**
 * The stack as a later `plan` sees it, once every resource exists: each reference `${...}` replaced
 * by a known value (a `metadata[0].name` reference by the name it points at, anything else by a
 * placeholder). The SDKv2 providers skip the validation of a whole block that holds any unknown
 * value, which on the first plan is nearly every block that names its namespace; with known values
 * they check every argument, as they do on every plan after the first apply.
 */
export function withKnownValues(json: SynthesizedJson): SynthesizedJson {
  const rewrite = (v: unknown, key?: string): unknown => {
    if (typeof v === 'string') return resolveReferences(json, v);
    if (Array.isArray(v)) return v.map((x) => rewrite(x));
    if (v && typeof v === 'object') {
      return Object.fromEntries(
        Object.entries(v).map(([k, x]) => [k, k === 'depends_on' || k === 'provider' || key === 'lifecycle' ? x : rewrite(x, k)]),
      );
    }
    return v;
  };
  const j = structuredClone(json) as any;
  j.resource = rewrite(j.resource);
  return j as SynthesizedJson;
}

/**
 * `text` with each Terraform reference `${...}` replaced by the value it has once applied: a
 * `<type>.<id>.metadata[0].name` reference by the name it points at (itself resolved, a few levels
 * deep), any other reference by `otherValue(expr)`; an expression without references stays for
 * Terraform to evaluate. Escaped `$${` sequences stay as they are.
 */
/** A resource, data source, variable, local or module reference inside an expression. */
const REFERENCE_IN_EXPRESSION = /\b(?:data\.)?[a-z][a-z0-9]*_[a-z0-9_]*\.[A-Za-z]|\b(?:var|local|module)\./;

export function resolveReferences(json: SynthesizedJson, text: string, otherValue: (expr: string) => string = () => 'known'): string {
  const resources = (json.resource ?? {}) as Record<string, Record<string, any>>;
  const resolve = (s: string, depth: number): string =>
    s.replace(/(?<!\$)\$\{([^}]*)\}/g, (_m, expr: string) => {
      const name = /^([a-z0-9_]+)\.([A-Za-z0-9_-]+)\.metadata\[0\]\.name$/.exec(expr.trim());
      const target = name ? resources[name[1]!]?.[name[2]!]?.metadata?.name : undefined;
      if (typeof target === 'string') return depth < 5 ? resolve(target, depth + 1) : 'known';
      // An expression without a reference (`range(1, 256, 1)`) is known on every plan: Terraform evaluates it.
      if (!REFERENCE_IN_EXPRESSION.test(expr)) return _m;
      return otherValue(expr.trim());
    });
  return text.includes('${') ? resolve(text, 0) : text;
}
