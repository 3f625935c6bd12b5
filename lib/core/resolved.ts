import { TerraformDataSource, TerraformResource, TerraformStack, Token, type IResolvable, type IResolveContext } from './cdktf';

/**
 * cdktf resolves a configuration node by node: every key, string and number
 * gets a fresh resolve context, closures and three token scans, and
 * `cdktf synth` does it three times per element (the preparing pass, each
 * element's fragment, then the whole merged stack again). Most of what a
 * library resource synthesizes holds no token at all (labels, env, probes,
 * security settings), and resolving it returns it unchanged.
 *
 * {@link presolve} hands such token-free subtrees of a resource's attributes
 * to cdktf as already resolved: each becomes one {@link Resolved} token whose
 * post-processor yields the subtree itself, so cdktf's walk stops there. What
 * holds a token (a reference, a lazy, a dynamic block, a string with a token
 * marker) stays as it was and cdktf resolves it as before. The JSON written
 * is identical; tests compare it with and without.
 *
 * Inside the stack's own `toTerraform` the same subtree is resolved twice
 * (fragment, then the merged stack): the first resolution yields a final
 * `Resolved` again, which the merge carries over as a token and the second
 * resolution unwraps. Anything else that resolves an element once gets the
 * plain subtree.
 */

/** Subtrees smaller than this stay plain: a token costs cdktf about as much as a couple of nodes. */
const MIN_NODES = 4;

/** Nonzero while a stack that takes part runs its own `toTerraform` (its two resolutions). */
let stackPasses = 0;

/** Nonzero inside {@link withoutPresolving}. */
let disabled = 0;

/**
 * Runs `fn` with presolving off: cdktf then resolves every node as it would without the library.
 * What the tests and the bench compare the presolved output with.
 * @internal
 */
export function withoutPresolving<T>(fn: () => T): T {
  disabled++;
  try {
    return fn();
  } finally {
    disabled--;
  }
}

class Resolved implements IResolvable {
  readonly #value: unknown;
  readonly #final: boolean;

  public constructor(value: unknown, final: boolean) {
    this.#value = value;
    this.#final = final;
  }

  /** IResolvable asks for it; a subtree without tokens was not created by anything worth tracing. */
  public get creationStack(): string[] {
    return [];
  }

  public resolve(context: IResolveContext): unknown {
    if (context.preparing) return undefined; // nothing in it for the preparing pass to find (no token)
    const value = stackPasses > 0 && !this.#final ? new Resolved(this.#value, true) : this.#value;
    context.registerPostProcessor({ postProcess: () => value });
    return undefined;
  }

  /** What JSON.stringify writes if the token ever reaches it unresolved. */
  public toJSON(): unknown {
    return this.#value;
  }

  public toString(): string {
    return Token.asString(this);
  }
}

/** A plain object or array literal, as opposed to a token, reference or other class instance. */
export function isPlainObject(v: object): boolean {
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** A string cdktf's resolve returns unchanged: no token marker, no text that its number-token scan could read as one. */
const plainString = (s: string): boolean => !s.includes('TfToken[') && !s.includes('e+');

/**
 * A number cdktf's resolve returns unchanged. Token numbers (a scalar's and a list's) are doubles
 * around 1e289 to 1e298; anything that large, or not finite, is left to cdktf.
 */
const plainNumber = (n: number): boolean => Math.abs(n) < 1e200;

/**
 * Replaces each child of `container` whose size in `sizes` (from {@link scan}, in the order of its
 * indices or `Object.keys`) is {@link MIN_NODES} or more by a {@link Resolved}.
 */
function wrapChildren(container: Record<string, unknown> | unknown[], sizes: readonly number[]): void {
  const keys = Array.isArray(container) ? undefined : Object.keys(container);
  const c = container as Record<string | number, unknown>;
  sizes.forEach((size, i) => {
    const key = keys ? keys[i]! : i;
    if (size >= MIN_NODES) c[key] = new Resolved(c[key], false);
  });
}

/** The {@link scan} size of each entry of `obj`; a key holding a token makes its entry cdktf's. */
const entrySizes = (obj: Record<string, unknown>): number[] => Object.keys(obj).map((k) => (plainString(k) ? scan(obj[k]) : -1));

/**
 * The size of `v` in nodes when it holds no token (cdktf would return it as it is), else -1. A
 * container that holds a token gets its token-free children of {@link MIN_NODES} or more replaced
 * by {@link Resolved} in place (`v` is the library's own fresh copy, see `literal`).
 */
function scan(v: unknown): number {
  switch (typeof v) {
    case 'string':
      return plainString(v) ? 1 : -1;
    case 'number':
      return plainNumber(v) ? 1 : -1;
    case 'boolean':
      return 1;
    case 'object':
      break;
    default:
      return -1; // undefined (cdktf drops it), functions (cdktf rejects them)
  }
  if (v === null) return 1;
  if (!Array.isArray(v) && !isPlainObject(v)) return -1; // a token, reference or dynamic block: cdktf's to resolve
  const container = v as Record<string, unknown> | unknown[];
  const sizes = Array.isArray(container) ? container.map(scan) : entrySizes(container);
  if (sizes.every((s) => s >= 0)) return sizes.reduce((a, b) => a + b, 1);
  wrapChildren(container, sizes);
  return -1;
}

/**
 * `attributes` (a resource's or data source's synthesized attributes, the library's own copy)
 * with its token-free subtrees handed over as resolved. The top level stays a plain object:
 * cdktf merges meta-arguments and the `"//"` metadata into it.
 */
export function presolve(attributes: Record<string, unknown>): Record<string, unknown> {
  wrapChildren(attributes, entrySizes(attributes));
  return attributes;
}

type Overridable = { rawOverrides?: Record<string, unknown> };
const hasOverrides = (x: unknown): boolean => Object.keys((x as Overridable).rawOverrides ?? {}).length > 0;

/**
 * Whether an element's attributes may be presolved now: a resource or data source without overrides
 * (an override deep-merges into the attributes by path, and cdktf refuses to merge into a token).
 */
export function presolvable(element: unknown): boolean {
  return disabled === 0 && (element instanceof TerraformResource || element instanceof TerraformDataSource) && !hasOverrides(element);
}

/**
 * Lets `stack`'s own `toTerraform` keep presolved subtrees as tokens between its two resolutions;
 * called once per stack (by `literal.ts`, where it patches the stack's `prepareStack`). A stack with
 * overrides merges them into the resolved fragments by path, so there the fragments carry plain
 * subtrees (and the final resolution walks them as before).
 */
export function resolveOnceInStack(stack: TerraformStack): void {
  const toTerraform = stack.toTerraform.bind(stack);
  stack.toTerraform = () => {
    const counted = !hasOverrides(stack);
    if (counted) stackPasses++;
    try {
      return toTerraform();
    } finally {
      if (counted) stackPasses--;
    }
  };
}
