import { ValidationError } from '../../lib';
import { synthStack } from '../../lib/testing';

/** The ValidationError `fn` throws; any other error is rethrown, and no error fails the test. */
export function validationErrorOf(fn: () => unknown): ValidationError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ValidationError) return e;
    throw e;
  }
  throw new Error('expected a ValidationError');
}

/** The ValidationError that synthesizing the stack `build` makes throws. */
export const synthErrorOf = (build: Parameters<typeof synthStack>[0]): ValidationError => validationErrorOf(() => synthStack(build));
