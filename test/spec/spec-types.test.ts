import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import type { PlatformSpec } from '../../lib';
import type { platformSpecSchema } from '../../lib/spec/spec-schema';

/**
 * The public PlatformSpec type (written from the construct props interfaces, so the package's typings
 * need no zod) holds every spec the schema accepts: a compile-time check, run by `npm run typecheck`.
 */
type Accepts<T, U extends T> = U;
type SchemaInput = z.input<typeof platformSpecSchema>;
export type Check = Accepts<PlatformSpec, SchemaInput>;
// and names every key the schema has (assignability alone would allow keys PlatformSpec lacks)
type Missing<S, T> = Exclude<keyof S, keyof T>;
type ModelOf<S> = S extends { models?: Record<string, infer M> } ? NonNullable<M> : never;
export const noMissingKeys: [Missing<SchemaInput, PlatformSpec>, Missing<ModelOf<SchemaInput>, ModelOf<PlatformSpec>>] extends [never, never] ? true : false = true;

describe('PlatformSpec', () => {
  it('is checked against the schema at compile time (this file type-checks)', () => {
    const spec: PlatformSpec = { namespace: 'mlops', models: { Churn: { serving: { model: 'models:/churn@champion' }, drift: { model: 'churn', reference: 'r.parquet', current: 'logs/', features: [{ name: 'a' }], retrain: true } } } };
    expect(spec.namespace).toBe('mlops');
  });
});
