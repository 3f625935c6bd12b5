import type { App } from '../core/cdktf';
import { TerraformStack } from '../core/cdktf';
import { ValidationError } from '../core/errors';
import type { MlopsPlatform } from '../platform/mlops-platform';
import { environmentSpecs, type EnvironmentSpec } from './environments';
import { platformFromSpec } from './from-spec';
import { schemaProblems, type PathProblem } from './spec-issues';
import { platformSpecSchema, specFileSchema } from './spec-schema';
import type { PlatformSpec } from './spec-types';
import { formatProblem, parsePath, SpecError, SpecSource, type SpecProblem } from './spec-source';

/** A spec file read and checked against the schema: the platform of each environment. */
export interface LoadedSpec {
  readonly source: SpecSource;
  readonly environments: readonly EnvironmentSpec[];
}

/**
 * Reads a spec file (YAML or JSON) and checks it: the file against the schema (the rest of the file
 * is a spec of its own), then each environment merged into it. Throws a {@link SpecError} with every
 * problem, each with its file, line, column and path.
 */
export function loadSpec(file: string, text?: string): LoadedSpec {
  const source = text === undefined ? SpecSource.read(file) : new SpecSource(file, text);
  const place = (p: PathProblem) => source.problem(p.path, p.message, p.atKey);
  const fileProblems = schemaProblems(specFileSchema, source.value);
  if (fileProblems.length) throw new SpecError(fileProblems.map(place));
  const mergeProblems: PathProblem[] = [];
  const environments = environmentSpecs(source.value as Record<string, unknown>, mergeProblems);
  const problems = mergeProblems.map(place);
  for (const env of environments) {
    for (const p of schemaProblems(platformSpecSchema, env.spec)) problems.push(source.problem(env.origin(p.path), describe(env, p.message), p.atKey));
  }
  throwIfAny(problems);
  return { source, environments };
}

/**
 * One `TerraformStack` per environment (or one for a spec without environments), each holding the
 * spec's platform as construct `Platform`. `only` picks environments by name. Problems the constructs
 * find (their checks across props) throw a {@link SpecError} located in the file.
 */
export function specStacks(app: App, spec: LoadedSpec, only: readonly string[] = []): { stack: TerraformStack; platform: MlopsPlatform; environment?: string }[] {
  const unknown = only.filter((name) => !spec.environments.some((e) => e.environment === name));
  if (unknown.length) {
    const names = spec.environments.map((e) => e.environment).filter(Boolean);
    throw new SpecError([spec.source.problem(['environments'], `no environment ${unknown.map((n) => JSON.stringify(n)).join(', ')}; environments here: ${names.join(', ') || '(none)'}`)]);
  }
  const problems: SpecProblem[] = [];
  const built = spec.environments
    .filter((env) => only.length === 0 || only.includes(env.environment!))
    .flatMap((env) => {
      const stack = new TerraformStack(app, env.stackName);
      try {
        return [{ stack, platform: platformFromSpec(stack, 'Platform', env.spec as PlatformSpec), environment: env.environment }];
      } catch (err) {
        if (!(err instanceof ValidationError)) throw err;
        for (const p of err.problems) problems.push(spec.source.problem(env.origin(p.propPath === '(spec)' ? [] : parsePath(p.propPath)), describe(env, p.message)));
        return [];
      }
    });
  throwIfAny(problems);
  return built;
}

/** Every problem of a spec file, the constructs' own checks included (the stacks are built in memory, nothing is written). */
export function validateSpec(app: App, file: string, text?: string): SpecProblem[] {
  try {
    specStacks(app, loadSpec(file, text));
    return [];
  } catch (err) {
    if (err instanceof SpecError) return [...err.problems];
    throw err;
  }
}

const describe = (env: EnvironmentSpec, message: string) => (env.environment ? `${message} (environment ${env.environment})` : message);

function throwIfAny(problems: SpecProblem[]): void {
  const seen = new Set<string>();
  const unique = problems.filter((p) => !seen.has(formatProblem(p)) && (seen.add(formatProblem(p)), true));
  if (unique.length) throw new SpecError(unique);
}
