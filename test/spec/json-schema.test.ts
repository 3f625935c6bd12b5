import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { platformSpecJsonSchema } from '../../lib';

/**
 * The JSON Schema generated from the constructs' zod schemas (z.toJSONSchema) is what editors read
 * (`# yaml-language-server: $schema=...`), checked here with a real JSON Schema validator (Ajv, draft 2020-12).
 * It holds the structure, types, enums, ranges and unknown keys; zod's refinements (cron syntax,
 * image references, names) are checked by `cdktf-mlops validate`.
 */
const root = join(__dirname, '..', '..');
const committed = JSON.parse(readFileSync(join(root, 'schema', 'platform-spec.schema.json'), 'utf8'));
const examples = readdirSync(join(root, 'examples', 'spec')).filter((f) => f.endsWith('.yaml'));
const ajv = new Ajv2020({ strict: true, allErrors: true, validateFormats: false });
const validate = ajv.compile(committed);

describe('the JSON Schema of a platform spec', () => {
  it('is committed as generated (run `npm run schema` after changing a construct schema)', () => {
    expect(committed).toEqual(platformSpecJsonSchema());
  });

  it('is a valid draft 2020-12 schema', () => {
    expect(ajv.validateSchema(committed)).toBe(true);
  });

  it.each(examples)('accepts examples/spec/%s, which names it for editors', (file) => {
    const text = readFileSync(join(root, 'examples', 'spec', file), 'utf8');
    expect(text.split('\n')[0]).toBe('# yaml-language-server: $schema=../../schema/platform-spec.schema.json');
    expect(validate(parse(text)), ajv.errorsText(validate.errors)).toBe(true);
  });

  it('rejects a bad spec: an unknown prop, a value out of range, a wrong type, an unknown backend', () => {
    const bad = parse(readFileSync(join(root, 'examples', 'spec', 'local.yaml'), 'utf8'));
    const cases: [string, (s: any) => void, RegExp][] = [
      ['unknown prop', (s) => (s.models.Churn.serving.replicas = 3), /must NOT have additional properties/],
      ['out of range', (s) => (s.models.Churn.serving.canary.weight = 150), /must be <= 100/],
      ['wrong type', (s) => (s.models.Churn.serving.minReplicas = 'two'), /must be integer|must be number/],
      ['unknown backend', (s) => (s.backend = { kind: 'gcp' }), /must be equal to constant|must match exactly one schema/],
      ['environment key', (s) => (s.environments = { staging: { regionn: 'x' } }), /must NOT have additional properties/],
    ];
    for (const [what, change, message] of cases) {
      const spec = structuredClone(bad);
      change(spec);
      expect(validate(spec), what).toBe(false);
      expect(ajv.errorsText(validate.errors), what).toMatch(message);
    }
  });
});
