import type { z } from 'zod';
import { describeIssues } from '../core/props';
import type { PathProblem } from './spec-source';

export type { PathProblem } from './spec-source';

/**
 * @internal
 * Parses `value` with `schema` and describes each issue as the constructs do (value given, what is
 * allowed, the allowed keys for an unknown one). A union whose value fits one branch's shape
 * (`monitoring: false | {...}` given a mapping) reports that branch's problems instead of zod's
 * "Invalid input", so the message points at the nested value that is wrong.
 */
export function schemaProblems(schema: z.ZodType, value: unknown): PathProblem[] {
  const result = schema.safeParse(value, { reportInput: true });
  if (result.success) return [];
  const issues = result.error.issues.flatMap((i) => openUnion(i));
  return describeIssues(schema, value, issues).map((p) => ({ path: p.path, message: p.message, atKey: p.unknownKey }));
}

function openUnion(issue: z.core.$ZodIssue): z.core.$ZodIssue[] {
  if (issue.code !== 'invalid_union' || !('errors' in issue) || issue.errors.length === 0) return [issue];
  // Branches that failed on the value's own type rejected it outright; one that failed deeper is the one meant.
  const deeper = issue.errors.filter((branch) => branch.length > 0 && branch.every((i) => i.path.length > 0 || i.code === 'custom'));
  if (deeper.length !== 1) return [issue];
  return deeper[0]!.flatMap((i) => openUnion({ ...i, path: [...issue.path, ...i.path] } as z.core.$ZodIssue));
}
