import { describe, expect, it } from 'vitest';
import { Construct } from 'constructs';
import { z } from 'zod';
import { parseProps } from '../../lib/core/props';
import { ValidationError } from '../../lib/core/errors';
import { memoryQuantity, positiveInt } from '../../lib/core/validators';

const root = new Construct(undefined as any, 'Root');
const scope = new Construct(root, 'Thing');
const schema = z.strictObject({
  replicas: positiveInt.default(1),
  resources: z.strictObject({ memory: memoryQuantity }).optional(),
  items: z.array(z.strictObject({ name: z.string().min(1) })).optional(),
});

function errorOf(props: unknown): ValidationError {
  try {
    parseProps(schema, props, scope);
  } catch (err) {
    if (err instanceof ValidationError) return err;
    throw err;
  }
  throw new Error('expected a ValidationError');
}

describe('parseProps', () => {
  it('returns the parsed props with defaults', () => {
    expect(parseProps(schema, {}, scope)).toEqual({ replicas: 1 });
  });
  it('names the construct path, the prop path, the value and what is allowed', () => {
    const err = errorOf({ replicas: 0 });
    expect(err.constructPath).toBe('Root/Thing');
    expect(err.problems).toEqual([{ propPath: 'replicas', message: 'got 0; must be at least 1' }]);
    expect(err.message).toBe('Invalid props for Root/Thing:\n  - replicas: got 0; must be at least 1');
  });
  it('names nested and indexed paths', () => {
    expect(errorOf({ resources: { memory: '1GB' } }).problems[0]!.propPath).toBe('resources.memory');
    expect(errorOf({ items: [{ name: 'a' }, { name: '' }] }).problems[0]!.propPath).toBe('items[1].name');
  });
  it('reports every problem at once', () => {
    expect(errorOf({ replicas: -1, resources: { memory: 'lots' } }).problems).toHaveLength(2);
  });
  it('reports unknown keys with the allowed ones', () => {
    const err = errorOf({ replica: 2 });
    expect(err.problems[0]).toEqual({ propPath: 'replica', message: 'unknown prop "replica"; allowed props here: items, replicas, resources' });
  });
  it('says when a required prop is missing and when the type is wrong', () => {
    const req = z.strictObject({ name: z.string() });
    expect(() => parseProps(req, {}, scope)).toThrow(/name: got nothing \(the prop is missing\)/);
    expect(() => parseProps(req, { name: 3 }, scope)).toThrow(/name: got 3; /);
  });
});
