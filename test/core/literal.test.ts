import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Lazy, TerraformResource, TerraformStack, Testing, Token } from '../../lib/core/cdktf';
import { literal, literalString } from '../../lib/core/literal';
import { MlopsPlatform } from '../../lib';
import { synthStack } from '../../lib/testing';
import { realToolPath } from '../support/real-tools-env';

/** Inputs that Terraform would evaluate if they reached the JSON unescaped. */
const HOSTILE = ['${file("/etc/passwd")}', '%{ if true }x%{ endif }', '$${already}', 'a $ {b} %x ${'];

/**
 * Terraform's template scanner for what these tests need: `$${` and `%%{` are
 * escapes, any other `${` or `%{` starts an expression or directive. Returns
 * the literal text, or undefined when the string would be evaluated. The real
 * tool runs below when a build of it is in ~/.cache/cdktf-mlops/bin.
 */
function terraformLiteral(s: string): string | undefined {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    if (s.startsWith('$${', i) || s.startsWith('%%{', i)) {
      out += s[i] + '{';
      i += 2;
    } else if (s.startsWith('${', i) || s.startsWith('%{', i)) {
      return undefined;
    } else out += s[i];
  }
  return out;
}

function allStrings(v: unknown, out: string[] = []): string[] {
  if (typeof v === 'string') out.push(v);
  else if (Array.isArray(v)) v.forEach((x) => allStrings(x, out));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) (allStrings(k, out), allStrings(x, out));
  return out;
}

/** The library's own references to its resources (`${kubernetes_secret_v1.X.metadata[0].name}`), not preceded by an escape. */
const REFERENCE = /(?<!\$)\$\{(?:data\.)?[a-z][a-z0-9]*_[a-z0-9_]*\.[A-Za-z][\w-]*[.[][^}]*\}/g;

/**
 * The library's own expressions, by exact text: the exit codes 1..255 of a pod failure rule
 * (lib/training/training-run.ts; the real `terraform console` evaluates it in test/training).
 */
const LIBRARY_EXPRESSIONS = /(?<!\$)\$\{range\(1, 256, 1\)\}/g;
const withoutLibraryTemplates = (s: string) => s.replace(REFERENCE, '').replace(LIBRARY_EXPRESSIONS, '');

/** The real Terraform CLI that scripts/ci/real-tools.sh builds (or a tofu/terraform in ~/.cache/cdktf-mlops/bin). */
const TF = [realToolPath('MLOPS_TERRAFORM'), ...['tofu', 'terraform'].map((b) => join(homedir(), '.cache/cdktf-mlops/bin', b))].find((p): p is string => !!p && existsSync(p));
const inCi = process.env.CI === 'true';

/** What the real Terraform-compatible CLI makes of each string: `jsonencode` of a local holding it, via `console`. */
function evaluateWithTerraform(strings: string[]): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'literal-'));
  writeFileSync(join(dir, 'main.tf.json'), JSON.stringify({ locals: { v: strings } }));
  const out = execFileSync(TF!, ['console'], { cwd: dir, input: 'jsonencode(local.v)\n', encoding: 'utf8', env: { ...process.env, TF_IN_AUTOMATION: '1', CHECKPOINT_DISABLE: '1' } });
  return JSON.parse(JSON.parse(out.trim()));
}

describe('literalString', () => {
  it('escapes template sequences so Terraform reads the text as given', () => {
    expect(literalString('${file("/etc/passwd")}')).toBe('$${file("/etc/passwd")}');
    expect(literalString('%{ if true }x%{ endif }')).toBe('%%{ if true }x%%{ endif }');
    for (const s of HOSTILE) expect(terraformLiteral(literalString(s))).toBe(s);
  });

  it('keeps cdktf tokens working, around and between literal text', () => {
    const token = Lazy.stringValue({ produce: () => 'x' });
    const mixed = `\${evil}-${token}-%{ x }`;
    const out = literalString(mixed);
    expect(out).toBe(`$\${evil}-${token}-%%{ x }`);
    expect(Token.isUnresolved(out)).toBe(true);
    expect(literalString(token)).toBe(token);
  });

  it('walks plain objects and arrays, keys included, and leaves class instances alone', () => {
    const resolvable = Lazy.anyValue({ produce: () => '${x}' });
    expect(literal({ a: ['${x}'], '${k}': 1, r: resolvable })).toEqual({ a: ['$${x}'], '$${k}': 1, r: resolvable });
  });
});

describe('nothing a user writes is evaluated by Terraform', () => {
  const build = (evil: string) =>
    synthStack((stack) => {
      const platform = new MlopsPlatform(stack, 'Platform', {
        monitoringOptions: { alerting: { slack: { webhookUrl: { secretName: 'alerting', key: 'slack-url' }, channel: evil } } },
      });
      const training = platform.addTrainingJob('Churn', {
        name: 'churn',
        image: 'ghcr.io/acme/churn-train:1.4.2',
        command: ['python', evil],
        args: [evil],
        env: { EVIL: evil },
        experimentName: evil,
        model: 'churn',
        schedule: '0 0 * * 0',
        workers: 2,
        dataValidation: { command: ['python', 'validate.py', evil] },
      });
      platform.addModel('Churn', { model: 'models:/churn@champion', env: { EVIL: evil } });
      platform.addModel('Fraud', { name: 'fraud', image: 'ghcr.io/acme/fraud-serve:2.0.1', port: 8080, env: { EVIL: evil }, command: ['serve', evil], args: [evil] });
      platform.addDriftMonitor('Churn', {
        model: 'churn',
        reference: 'datasets/churn/reference.parquet',
        current: 'inference-logs/churn/',
        features: [{ name: evil }, { name: 'contract', type: 'categorical' }],
        retrain: { trainingJob: training },
      });
    });

  it.each(HOSTILE)('keeps %j literal in every string of cdk.tf.json', (evil) => {
    const { json } = build(evil);
    const strings = allStrings(json);
    // As given, or inside JSON the library wrote (ConfigMap files, chart values).
    const carries = (s: string) => [evil, JSON.stringify(evil).slice(1, -1)].some((form) => terraformLiteral(withoutLibraryTemplates(s))?.includes(form));
    const carrying = strings.filter(carries);
    // env (training, models), command, args, experiment name, feature name (in the drift ConfigMap's JSON), Slack channel (lazy chart values)
    expect(carrying.length).toBeGreaterThanOrEqual(9);
    expect(carrying.some((s) => s.includes('"channel"'))).toBe(true);
    const evaluated = strings.filter((s) => terraformLiteral(withoutLibraryTemplates(s)) === undefined);
    expect(evaluated).toEqual([]);
  });

  it('already holds in cdktf synth\'s preparing pass, which resolves every element before aspects run', () => {
    const stack = new TerraformStack(Testing.app(), 'prepare');
    const platform = new MlopsPlatform(stack, 'Platform');
    platform.addModel('Churn', { model: 'models:/churn@champion', env: { EVIL: HOSTILE[0]! } });
    const seen: unknown[] = [];
    for (const el of stack.node.findAll()) {
      if (!(el instanceof TerraformResource)) continue;
      const toTerraform = el.toTerraform.bind(el);
      el.toTerraform = () => {
        const tf = toTerraform();
        seen.push(tf);
        return tf;
      };
    }
    stack.prepareStack(); // what app.synth() runs first; invokeAspects comes after it
    // Token-free subtrees reach cdktf presolved (lib/core/resolved.ts): JSON shows what they hold.
    const strings = allStrings(JSON.parse(JSON.stringify(seen)));
    expect(strings.some((s) => s.includes('$${file("/etc/passwd")}'))).toBe(true);
    expect(strings.filter((s) => s.includes('${file('))).toEqual(strings.filter((s) => s.includes('$${file(')));
    // The provider's unset attributes are dropped before cdktf resolves them (a pod template has hundreds);
    // cdktf's own "//" comment is not the library's.
    const unset = (v: unknown, path: string): string[] => Array.isArray(v) ? v.flatMap((x, k) => unset(x, `${path}[${k}]`))
      : v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype
        ? Object.entries(v).flatMap(([k, x]) => k === '//' ? [] : x === undefined ? [`${path}.${k}`] : unset(x, `${path}.${k}`)) : [];
    const deployments = seen.filter((tf) => JSON.stringify(tf).includes('"kubernetes_deployment_v1"'));
    expect(deployments.length).toBeGreaterThan(0);
    expect(deployments.flatMap((tf) => unset((tf as { resource: object }).resource, ''))).toEqual([]);
  });

  // The library's own template text (prometheus-adapter's `${1}`) goes through the same step:
  // test/serving/model-deployment.test.ts asserts it reaches the chart as `$${1}`.

  it('has the real Terraform CLI in CI (scripts/ci/real-tools.sh builds it)', () => {
    if (inCi) expect(TF, 'run scripts/ci/real-tools.sh').toBeDefined();
  });

  it.runIf(TF)('the real Terraform CLI does evaluate the same text unescaped (the check is real)', () => {
    expect(evaluateWithTerraform(['%{ if true }x%{ endif }', '${upper("a")}'])).toEqual(['x', 'A']);
  });

  it.runIf(TF)('and the real Terraform CLI reads the strings back as the user wrote them', () => {
    for (const evil of HOSTILE) {
      const { json } = build(evil);
      const carrying = allStrings(json).filter((s) => terraformLiteral(s)?.includes(evil) && !s.includes('${TfToken') && !s.replace(/\$\$\{/g, '').match(REFERENCE));
      expect(carrying.length).toBeGreaterThan(0);
      expect(evaluateWithTerraform(carrying)).toEqual(carrying.map((s) => terraformLiteral(s)));
    }
  });
});
