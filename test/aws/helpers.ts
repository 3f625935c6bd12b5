import type { SynthesizedJson } from '../../lib/testing';
import { resourcesOf } from '../../lib/testing';

/** The single resource of a type, or throws. */
export function only(json: SynthesizedJson, type: string): any {
  const all = Object.values(resourcesOf(json, type));
  if (all.length !== 1) throw new Error(`expected one ${type}, found ${all.length}`);
  return all[0];
}

/** Policy documents keyed by logical id. */
export function policyDocs(json: SynthesizedJson): Record<string, any> {
  return json.data?.['aws_iam_policy_document'] ?? {};
}

/** The policy document a `${data.aws_iam_policy_document.X.json}` reference points to. */
export function docOf(json: SynthesizedJson, ref: string): any {
  const m = /^\$\{data\.aws_iam_policy_document\.([^.]+)\.json\}$/.exec(ref);
  if (!m) throw new Error(`not a policy document reference: ${ref}`);
  const doc = policyDocs(json)[m[1]!];
  if (!doc) throw new Error(`no policy document ${m[1]}`);
  return doc;
}

/** The policy document behind the aws_iam_policy attached to a role of the given trust-doc id. */
export function statementsOf(doc: any): any[] {
  return doc.statement ?? [];
}

export function conditionOf(statement: any, variable: string): any {
  return (statement.condition ?? []).find((c: any) => c.variable === variable);
}
