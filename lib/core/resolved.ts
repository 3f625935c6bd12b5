import { isDynamicBlock, TerraformDataSource, TerraformResource, TerraformStack, Token, type IResolvable, type IResolveContext } from './cdktf';

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
 * is a token (a reference, a lazy, a dynamic block, a string with a token
 * marker) cdktf resolves as before. The JSON written is identical; tests
 * compare it with and without.
 *
 * A top-level attribute that does hold tokens (every `metadata` holds the
 * namespace reference, a pod spec its ServiceAccount and ConfigMap names)
 * becomes one {@link Holes} token: the attribute with its tokens cut out, and
 * the tokens themselves, which cdktf resolves one by one; the post-processor
 * puts the results back. Only an attribute with a dynamic block inside stays
 * plain (cdktf finds dynamic blocks by walking the plain objects above them),
 * with its token-free subtrees presolved.
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
 * Where the tokens of a plain object or array sit: the container itself (the skeleton, never
 * mutated), and per token-bearing child either the index of its value in the cut-out list or the
 * shape of the child container.
 */
interface Shape {
  readonly container: Record<string, unknown> | unknown[];
  readonly slots: ReadonlyArray<{ readonly key: string | number; readonly hole?: number; readonly child?: Shape }>;
}

/** Thrown by {@link carve} when a dynamic block must stay visible to cdktf's `processDynamicAttributes`. */
const DYNAMIC = Symbol('dynamic block');

/** A string or number that cdktf's resolve returns unchanged. */
const plainScalar = (v: unknown): boolean => (typeof v === 'string' ? plainString(v) : typeof v === 'number' ? plainNumber(v) : typeof v === 'boolean' || v === null);

/**
 * The shape of `v`'s tokens, pushing each cut-out value onto `holes`; `undefined` when `v` holds
 * none. What cdktf resolves as a whole becomes one hole: a token, reference or other non-plain
 * object, a string with a token marker, `undefined` (cdktf drops it), an array with a token among
 * its strings or numbers (a list token makes cdktf resolve the whole array as a list), and an object
 * with a token among its keys (a map token).
 */
function carve(v: unknown, holes: unknown[]): Shape | undefined | typeof holes {
  if (plainScalar(v)) return undefined;
  if (typeof v !== 'object' || v === null || !(Array.isArray(v) || isPlainObject(v))) {
    if (isDynamicBlock(v)) throw DYNAMIC;
    return holes; // the caller cuts `v` out
  }
  const container = v as Record<string, unknown> | unknown[];
  const keys: Array<string | number> = Array.isArray(container) ? container.map((_, i) => i) : Object.keys(container);
  const c = container as Record<string | number, unknown>;
  const whole = Array.isArray(container)
    ? container.some((x) => (typeof x === 'string' || typeof x === 'number') && !plainScalar(x))
    : keys.some((k) => !plainString(k as string));
  if (whole) return holes;
  const slots: Array<{ key: string | number; hole?: number; child?: Shape }> = [];
  for (const key of keys) {
    const child = carve(c[key], holes);
    if (child === holes) slots.push({ key, hole: holes.push(c[key]) - 1 });
    else if (child) slots.push({ key, child: child as Shape });
  }
  return slots.length > 0 ? { container, slots } : undefined;
}

/** What removes an array element in {@link fill}: a cut-out value that resolved to `undefined`. */
const DROPPED = Symbol('dropped');

/** The skeleton of `shape` with `values` put back, copying only the containers on the way to them. */
function fill(shape: Shape, values: readonly unknown[]): unknown {
  const list = Array.isArray(shape.container);
  const out = (list ? shape.container.slice() : { ...shape.container }) as Record<string | number, unknown>;
  let dropped = false;
  for (const { key, hole, child } of shape.slots) {
    const value = child ? fill(child, values) : values[hole!];
    if (value !== undefined) out[key] = value;
    else if (list) [out[key], dropped] = [DROPPED, true];
    else delete out[key]; // as cdktf drops an object key whose value resolves to undefined
  }
  return dropped ? (out as unknown as unknown[]).filter((x) => x !== DROPPED) : out;
}

/**
 * A top-level attribute holding tokens, as its {@link Shape} and the cut-out values: cdktf resolves
 * the values one by one (in the preparing pass too, which is what that pass looks for), and the
 * post-processor puts them back into the skeleton. Like {@link Resolved}, the first of the stack's
 * two resolutions yields a final `Resolved` of the result.
 */
class Holes implements IResolvable {
  readonly #shape: Shape;
  readonly #values: readonly unknown[];

  public constructor(shape: Shape, values: readonly unknown[]) {
    this.#shape = shape;
    this.#values = values;
  }

  /** IResolvable asks for it; each cut-out token keeps its own. */
  public get creationStack(): string[] {
    return [];
  }

  public resolve(context: IResolveContext): unknown {
    const values = this.#values.map((v) => context.resolve(v));
    if (context.preparing) return undefined;
    const filled = fill(this.#shape, values);
    const value = stackPasses > 0 ? new Resolved(filled, true) : filled;
    context.registerPostProcessor({ postProcess: () => value });
    return undefined;
  }

  /** What JSON.stringify writes if the token ever reaches it unresolved: the attribute as it was. */
  public toJSON(): unknown {
    return fill(this.#shape, this.#values);
  }

  public toString(): string {
    return Token.asString(this);
  }
}

/**
 * `attributes` (a resource's or data source's synthesized attributes, the library's own copy)
 * with each top-level attribute handed over as resolved ({@link Resolved}) or with only its tokens
 * left to resolve ({@link Holes}). The top level stays a plain object: cdktf merges meta-arguments
 * and the `"//"` metadata into it.
 */
export function presolve(attributes: Record<string, unknown>): Record<string, unknown> {
  for (const key of Object.keys(attributes)) {
    if (!plainString(key)) continue;
    const value = attributes[key];
    const values: unknown[] = [];
    let shape: ReturnType<typeof carve>;
    try {
      shape = carve(value, values);
    } catch (e) {
      if (e !== DYNAMIC) throw e;
      scan(value); // the dynamic block's ancestors stay plain; their token-free children are presolved
      continue;
    }
    if (shape === undefined) {
      if (scan(value) >= MIN_NODES) attributes[key] = new Resolved(value, false);
    } else if (shape !== values) {
      attributes[key] = new Holes(shape as Shape, values);
    }
  }
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
