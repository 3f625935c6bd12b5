import type { PathProblem } from './spec-source';

/*
 * Environments: one spec, one stack per environment. An environment's block is merged into the rest
 * of the file (the base), which is a valid spec of its own:
 *
 * - a mapping merges key by key, recursively, unless its `kind` differs from the base's: then it
 *   replaces it (`backend: { kind: aws, ... }` over an in-cluster backend);
 * - a list or a value replaces the base's (lists are not merged item by item);
 * - `null` removes the key, so its default applies again;
 * - an override may only name what can exist: every key must be allowed by the schema where it
 *   lands (the merged spec is validated), a model must be one the base defines (an environment
 *   changes the fleet's settings, it does not add models), and `null` must remove something the
 *   base sets.
 *
 * The stack of an environment is `<stack>-<environment>` unless the environment sets `stack`.
 */

/** One platform to build: the merged spec and where each of its values came from. */
export interface EnvironmentSpec {
  /** The environment's name, or undefined for a spec without environments. */
  readonly environment?: string;
  /** The Terraform stack's name. */
  readonly stackName: string;
  /** The spec with the environment's overrides applied (environments removed). */
  readonly spec: Record<string, unknown>;
  /** The path in the file of the value at `path` of the merged spec (the override's, or the base's). */
  readonly origin: (path: readonly PropertyKey[]) => readonly PropertyKey[];
}

type Json = Record<string, unknown>;
const isMapping = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The specs of a file: one per environment, or the file itself without environments. Problems of the overrides are collected. */
export function environmentSpecs(file: Json, problems: PathProblem[]): EnvironmentSpec[] {
  const { environments, ...base } = file;
  const stackOf = (spec: Json) => String(spec.stack ?? spec.name ?? 'mlops');
  if (!isMapping(environments) || Object.keys(environments).length === 0) {
    return [{ stackName: stackOf(base), spec: base, origin: (path) => path }];
  }
  return Object.entries(environments).map(([name, override]) => {
    const at: PropertyKey[] = ['environments', name];
    const over = isMapping(override) ? override : {};
    checkModels(base, over, at, problems);
    const spec = merge(base, over, at, problems);
    const stackName = over.stack !== undefined && over.stack !== null ? String(over.stack) : `${stackOf(base)}-${name}`;
    return { environment: name, stackName, spec, origin: (path) => originOf(over, path, at) };
  });
}

/** `base` with `over` merged in (see the module comment). */
export function merge(base: Json, over: Json, at: readonly PropertyKey[], problems: PathProblem[]): Json {
  const out: Json = { ...base };
  for (const [key, value] of Object.entries(over)) {
    if (value === null) {
      if (!(key in base)) problems.push({ path: [...at, key], message: `null removes a value, but the base spec sets nothing at ${key}`, atKey: true });
      delete out[key];
    } else if (isMapping(value) && isMapping(base[key]) && (value.kind === undefined || value.kind === (base[key] as Json).kind)) {
      out[key] = merge(base[key] as Json, value, [...at, key], problems);
    } else {
      out[key] = value;
    }
  }
  return out;
}

function checkModels(base: Json, over: Json, at: readonly PropertyKey[], problems: PathProblem[]): void {
  if (!isMapping(over.models)) return;
  const known = isMapping(base.models) ? Object.keys(base.models) : [];
  for (const id of Object.keys(over.models)) {
    if (!known.includes(id)) {
      problems.push({
        path: [...at, 'models', id],
        message: `the environment overrides model "${id}", which the spec does not define; models here: ${known.join(', ') || '(none)'} (environments change models, they do not add them)`,
        atKey: true,
      });
    }
  }
}

/** The override's path when the override set the value at `path` (or replaced a value above it), else the base's. */
function originOf(over: Json, path: readonly PropertyKey[], at: readonly PropertyKey[]): readonly PropertyKey[] {
  let cur: Json = over;
  for (const seg of path) {
    if (!(String(seg) in cur)) return path;
    const next = cur[String(seg)];
    if (!isMapping(next)) return [...at, ...path];
    cur = next;
  }
  return [...at, ...path];
}
