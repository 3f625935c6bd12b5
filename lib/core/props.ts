import type { Construct } from 'constructs';
import { z } from 'zod';
import { ValidationError, type ValidationProblem } from './errors';
import { keepLiteral } from './literal';

/**
 * Parses a construct's props with its zod schema and throws a
 * {@link ValidationError} naming the construct, each prop path, the value
 * given and what is allowed. Returns the parsed value with defaults applied.
 */
export function parseProps<S extends z.ZodType>(schema: S, props: unknown, scope: Construct): z.output<S> {
  keepLiteral(scope); // every string the construct then synthesizes stays literal (lib/core/literal.ts)
  const result = schema.safeParse(props ?? {}, { reportInput: true });
  if (result.success) return result.data;
  throw new ValidationError(scope.node.path, result.error.issues.map((issue) => describeIssue(issue, schema, props)));
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
  const value = 'input' in issue && issue.input !== undefined ? issue.input : valueAt(props, issue.path);
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
  if (value !== null && typeof value === 'object' && value.constructor && value.constructor !== Object && !Array.isArray(value)) {
    return `an instance of ${value.constructor.name}`;
  }
  try {
    const text = JSON.stringify(value);
    return text.length > 120 ? text.slice(0, 117) + '...' : text;
  } catch {
    return String(value);
  }
}

/** Keys of the (nested) object schema at `path`, for "did you mean" style messages. */
function allowedKeys(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let cur: unknown = schema;
  for (const seg of path) {
    cur = unwrap(cur);
    if (cur instanceof z.ZodObject) cur = cur.shape[seg as string];
    else if (cur instanceof z.ZodArray) cur = cur.element;
    else return [];
  }
  cur = unwrap(cur);
  return cur instanceof z.ZodObject ? Object.keys(cur.shape).sort() : [];
}

function unwrap(s: unknown): unknown {
  let cur = s;
  while (cur instanceof z.ZodOptional || cur instanceof z.ZodDefault || cur instanceof z.ZodNullable) {
    cur = (cur as z.ZodOptional<z.ZodType>).unwrap();
  }
  return cur;
}
