/**
 * Thrown at construct time when props are invalid. The message names the
 * construct path, the prop path, the value given and what is allowed, so the
 * user can fix the input without reading the library's source.
 */
export class ValidationError extends Error {
  public override readonly name = 'ValidationError';

  constructor(
    /** Path of the construct that rejected its props, e.g. `Stack/Platform/Tracking`. */
    public readonly constructPath: string,
    /** One line per problem, each naming the prop path. */
    public readonly problems: readonly ValidationProblem[],
  ) {
    super(
      `Invalid props for ${constructPath}:\n` +
        problems.map((p) => `  - ${p.propPath}: ${p.message}`).join('\n'),
    );
  }
}

/** One rejected prop. */
export interface ValidationProblem {
  /** Dotted path of the prop, e.g. `resources.memory` or `models[0].canary.weight`. */
  readonly propPath: string;
  /** What was wrong: the value given and what is allowed. */
  readonly message: string;
}

/** Throws a {@link ValidationError} for one prop; for checks that span several props. */
export function fail(constructPath: string, propPath: string, message: string): never {
  throw new ValidationError(constructPath, [{ propPath, message }]);
}
