import type { IConstruct } from 'constructs';
import { Aspects, Lazy, TerraformStack, Token, type IAspect } from './cdktf';
import { isPlainObject, presolvable, presolve, resolveOnceInStack } from './resolved';

/**
 * Every string in a Terraform JSON configuration is a template: `${...}` is an
 * expression and `%{...}` a directive, evaluated on the machine that runs
 * `plan`. A user's env value `${file("/etc/passwd")}` would be read there. The
 * library's strings are literal by construction: every string a library
 * resource synthesizes passes through {@link literalString} on its way into
 * the JSON, which doubles the sequences (`$${`, `%%{`, Terraform's escapes).
 * The library's own references are cdktf tokens (`${TfToken[...]}` markers
 * resolved after this step) and keep working.
 *
 * This is the one place that escaping happens, so nothing upstream escapes by
 * hand (that would escape twice). `addOverride` values are not escaped: an
 * override is raw Terraform on purpose.
 */

const TOKEN_MARKER = /\$\{TfToken\[[a-zA-Z0-9:._-]+\]\}/g;

function escapeFragment(text: string): string {
  return text.replaceAll('${', () => '$${').replaceAll('%{', () => '%%{'); // functions: `$$` in a replacement string means `$`
}

/** `text` with Terraform's template sequences escaped, outside cdktf token markers. */
export function literalString(text: string): string {
  if (!text.includes('{')) return text;
  if (!Token.isUnresolved(text)) return escapeFragment(text);
  let out = '';
  let last = 0;
  for (const m of text.matchAll(TOKEN_MARKER)) {
    out += escapeFragment(text.slice(last, m.index)) + m[0];
    last = m.index + m[0].length;
  }
  return out + escapeFragment(text.slice(last));
}

/**
 * A copy of `value` with every string (and object key) made literal. Only
 * plain objects and arrays are walked; tokens and other class instances
 * (`IResolvable`s such as references and dynamic blocks) are kept as they are.
 */
export function literal<T>(value: T): T {
  if (typeof value === 'string') return literalString(value) as T;
  if (Array.isArray(value)) return value.map((v) => literal(v)) as T;
  if (value !== null && typeof value === 'object') {
    if (!isPlainObject(value)) return value;
    const out: Record<string, unknown> = {};
    for (const k in value) {
      const v = (value as Record<string, unknown>)[k];
      // Unset attributes are left out here rather than walked by cdktf's resolve, which drops them anyway:
      // a provider block synthesizes every attribute of its schema, most of them undefined.
      if (v !== undefined) out[literalString(k)] = literal(v);
    }
    return out as T;
  }
  return value;
}

/** A lazy string whose produced text is literal (see {@link literal}); lazies resolve after the escaping step. */
export function lazyLiteralString(produce: () => string): string {
  return Lazy.stringValue({ produce: () => literal(produce()) });
}

/** A lazy value (map, object) whose produced strings are literal. */
export function lazyLiteralAny(produce: () => unknown): ReturnType<typeof Lazy.anyValue> {
  return Lazy.anyValue({ produce: () => literal(produce()) });
}

/** A lazy list of strings, each literal. */
export function lazyLiteralList(produce: () => string[]): string[] {
  return Lazy.listValue({ produce: () => literal(produce()) });
}

const PATCHED = Symbol.for('cdktf-mlops.literal');

type Synthesizing = {
  synthesizeAttributes?: () => Record<string, unknown>;
  synthesizeHclAttributes?: () => Record<string, unknown>;
  [PATCHED]?: boolean;
};

/** Makes the strings `node` synthesizes literal, once: an element's attributes pass through {@link literal}. */
function patch(node: IConstruct): void {
  const el = node as unknown as Synthesizing;
  if (el[PATCHED] || typeof el.synthesizeAttributes !== 'function') return;
  el[PATCHED] = true;
  const json = el.synthesizeAttributes.bind(el);
  el.synthesizeAttributes = () => {
    const attributes = literal(json());
    return presolvable(el) ? presolve(attributes) : attributes;
  };
  if (typeof el.synthesizeHclAttributes === 'function') {
    const hcl = el.synthesizeHclAttributes.bind(el);
    el.synthesizeHclAttributes = () => literal(hcl());
  }
}

/** Patches every element under the scope when cdktf invokes aspects (every synthesis path; `Testing.synth` has no preparing pass). */
class LiteralStrings implements IAspect {
  public visit(node: IConstruct): void {
    patch(node);
  }
}

const ASPECT = new LiteralStrings();
const scoped = new WeakSet<IConstruct>();
const scopesOf = new WeakMap<TerraformStack, IConstruct[]>();

/**
 * cdktf invokes aspects after its preparing pass (`prepareStack`, which resolves every element once
 * to find cross-stack references), so that pass would resolve the provider's raw attributes: every
 * attribute of the schema, most of them unset, each a resolve step (a pod template has hundreds).
 * The stack's `prepareStack` first patches the elements of the library's scopes, so both passes
 * resolve the same literal, pruned attributes.
 */
function patchBeforePreparing(scope: IConstruct): void {
  const stack = scope.node.scopes.find((s): s is TerraformStack => TerraformStack.isStack(s));
  if (!stack) return;
  let scopes = scopesOf.get(stack);
  if (!scopes) {
    const all: IConstruct[] = (scopes = []);
    scopesOf.set(stack, all);
    resolveOnceInStack(stack);
    const prepare = stack.prepareStack.bind(stack);
    stack.prepareStack = () => {
      for (const s of all) for (const node of s.node.findAll()) patch(node);
      prepare();
    };
  }
  scopes.push(scope);
}

/**
 * Makes every string synthesized by resources, providers, data sources and
 * outputs under `scope` literal. Called by every library construct (through
 * `parseProps`); nested calls and repeated synths escape once.
 */
export function keepLiteral(scope: IConstruct): void {
  if (scope.node.scopes.some((s) => scoped.has(s))) return; // an enclosing library construct covers it
  scoped.add(scope);
  Aspects.of(scope).add(ASPECT);
  patchBeforePreparing(scope);
}
