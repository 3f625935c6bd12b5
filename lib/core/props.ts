import type { Construct } from 'constructs';
import { z } from 'zod';
import { ValidationError, type ValidationProblem } from './errors';
import { keepLiteral } from './literal';

/**
 * A zod 4 schema as {@link parseProps} takes it, typed by the Standard Schema
 * interface every zod 4 schema implements (`~standard`), so the package's own
 * typings do not load zod's (which need `esModuleInterop` to type-check).
 */
export interface PropsSchema<Output> {
  readonly '~standard': { readonly version: 1; readonly vendor: string; readonly types?: { readonly output: Output } | undefined };
}

/**
 * Parses a construct's props with its zod schema and throws a
 * {@link ValidationError} naming the construct, each prop path, the value
 * given and what is allowed. Returns the parsed value with defaults applied.
 */
export function parseProps<Output>(propsSchema: PropsSchema<Output>, props: unknown, scope: Construct): Output {
  const schema = propsSchema as unknown as z.ZodType<Output>; // only zod schemas reach here (see PropsSchema)
  keepLiteral(scope); // every string the construct then synthesizes stays literal (lib/core/literal.ts)
  const result = schema.safeParse(props ?? {}, { reportInput: true });
  if (result.success) return result.data;
  throw new ValidationError(scope.node.path, result.error.issues.map((issue) => describeIssue(issue, schema, props)));
}

/**
 * The problems of a failed parse, one per issue (one per unknown key), each with its path as segments
 * as well as text: the platform spec (lib/spec) locates them in its file. @internal
 */
export function describeIssues(schema: z.ZodType, props: unknown, issues: readonly z.core.$ZodIssue[]): (ValidationProblem & { readonly path: readonly PropertyKey[]; readonly unknownKey: boolean })[] {
  type Described = ValidationProblem & { readonly path: readonly PropertyKey[]; readonly unknownKey: boolean };
  return issues.flatMap((issue): Described[] =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({ ...describeIssue({ ...issue, keys: [key] }, schema, props), path: [...issue.path, key], unknownKey: true }))
      : [{ ...describeIssue(issue, schema, props), path: issue.path, unknownKey: false }],
  );
}

function describeIssue(issue: z.core.$ZodIssue, root: z.ZodType, props: unknown): ValidationProblem {
  const propPath = formatPath(issue.path);
  if (issue.code === 'unrecognized_keys') {
    const parent = issue.path.length ? formatPath(issue.path) + '.' : '';
    const allowed = allowedKeys(root, issue.path);
    return {
      propPath: issue.keys.map((k) => parent + k).join(', '),
      message:
        `unknown prop${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}` +
        (allowed.length ? `; allowed props here: ${allowed.join(', ')}` : ''),
    };
  }
  if (issue.code === 'invalid_key') {
    // zod reports "Invalid key in record"; say which key and why (the key's own schema message).
    const key = issue.path[issue.path.length - 1];
    return { propPath: propPath || '(props)', message: `the key ${JSON.stringify(String(key))} is not allowed: it ${issue.issues.map((i) => i.message).join('; ')}` };
  }
  // The value at the prop's path; a refinement of a whole object reports that object as its input.
  const at = valueAt(props, issue.path);
  const value = at !== undefined || issue.path.length ? at : 'input' in issue ? issue.input : undefined;
  return { propPath: propPath || '(props)', message: `got ${show(value)}; ${issue.message}` };
}

function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((seg, i) => (typeof seg === 'number' ? `[${seg}]` : i === 0 ? String(seg) : `.${String(seg)}`))
    .join('');
}

function valueAt(obj: unknown, path: readonly PropertyKey[]): unknown {
  let cur: unknown = obj;
  for (const seg of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[seg];
  }
  return cur;
}

function show(value: unknown): string {
  if (value === undefined) return 'nothing (the prop is missing)';
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value); // NaN, Infinity, -Infinity (JSON says null)
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'symbol') return String(value);
  if (value !== null && typeof value === 'object' && value.constructor && value.constructor !== Object && !Array.isArray(value)) {
    return `an instance of ${value.constructor.name}`;
  }
  try {
    const text = JSON.stringify(value, (_k, v: unknown) =>
      typeof v === 'number' && !Number.isFinite(v) ? String(v) : typeof v === 'bigint' ? `${v}n` : typeof v === 'function' ? '(a function)' : v,
    );
    if (text === undefined) return String(value);
    return text.length > 120 ? text.slice(0, 117) + '...' : text;
  } catch {
    return 'a value that cannot be shown (circular)';
  }
}

/** Keys of the (nested) object schema at `path`, for "allowed props here" in unknown-prop messages. */
function allowedKeys(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let level: unknown[] = [schema];
  for (const seg of path) {
    const next: unknown[] = [];
    for (const s of level.flatMap(options)) {
      if (s instanceof z.ZodObject) next.push(s.shape[seg as string]);
      else if (s instanceof z.ZodArray) next.push(s.element);
      else if (s instanceof z.ZodRecord) next.push(s.valueType);
    }
    level = next.filter((s) => s !== undefined);
  }
  const keys = new Set<string>();
  for (const s of level.flatMap(options)) if (s instanceof z.ZodObject) Object.keys(s.shape).forEach((k) => keys.add(k));
  return [...keys].sort();
}

/** The schemas a value may match: wrappers removed, unions and pipes opened. */
function options(s: unknown, depth = 0): unknown[] {
  if (depth > 10) return [];
  if (s instanceof z.ZodOptional || s instanceof z.ZodDefault || s instanceof z.ZodNullable) return options((s as z.ZodOptional<z.ZodType>).unwrap(), depth + 1);
  if (s instanceof z.ZodUnion) return (s.options as unknown[]).flatMap((o) => options(o, depth + 1));
  if (s instanceof z.ZodPipe) return options(s.in, depth + 1);
  if (s instanceof z.ZodLazy) return options(s.unwrap(), depth + 1);
  return [s];
}
