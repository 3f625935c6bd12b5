import { describe, expect, it } from 'vitest';
import { Construct } from 'constructs';
import { z } from 'zod';
import { parseProps } from '../../lib/core/props';
import { ValidationError } from '../../lib/core/errors';
import {
  annotationsSchema, awsRegion, chartVersion, cidr, cpuQuantity, gatewayHostname, httpUrl, ianaTimeZone, ingressClassName,
  kmsAliasName, labelsSchema, memoryQuantity, oidcIssuer, parseQuantity, rdsEndpoint, tolerationSchema,
} from '../../lib/core/validators';

const ok = (s: z.ZodType, v: unknown) => expect(s.safeParse(v).success, JSON.stringify(v)).toBe(true);
const bad = (s: z.ZodType, v: unknown) => expect(s.safeParse(v).success, JSON.stringify(v)).toBe(false);

describe('quantities in every Kubernetes form', () => {
  it.each(['2e9', '1.5Gi', '512Mi', '1G', '128974848', '129e6', '123Mi', '0.5Ki'])('memory accepts %s', (v) => ok(memoryQuantity, v));
  it.each(['1GB', '1gi', '0', '-1Gi', '', 'Gi', '1.5.Gi', '0.5m'])('memory rejects %s', (v) => bad(memoryQuantity, v));
  it.each(['250m', '1', '0.5', '2e0', '1.5', '100m'])('cpu accepts %s', (v) => ok(cpuQuantity, v));
  it.each(['0', '0.0001', '1.5m', '500M', '1Gi', 'one'])('cpu rejects %s', (v) => bad(cpuQuantity, v));
  it('reads the value of each form', () => {
    expect(parseQuantity('2e9')).toBe(2e9);
    expect(parseQuantity('1.5Gi')).toBe(1.5 * 2 ** 30);
    expect(parseQuantity('250m')).toBe(0.25);
  });
});

describe('labels, annotations, tolerations', () => {
  it('checks label keys and values by Kubernetes rules', () => {
    ok(labelsSchema, { team: 'ml', 'example.com/tier': 'gold', 'a.b-c_d': '', 'app.kubernetes.io/part-of': 'x' });
    for (const l of [{ 'bad key': 'x' }, { '/x': 'y' }, { 'Example.com/x': 'y' }, { x: 'a b' }, { x: 'v'.repeat(64) }, { x: '-a' }, { ['k'.repeat(64)]: 'v' }]) bad(labelsSchema, l);
  });
  it('lets annotation values be free text but checks the keys', () => {
    ok(annotationsSchema, { 'example.com/note': 'any text, even ${this}' });
    bad(annotationsSchema, { 'not a key': 'x' });
    bad(annotationsSchema, { big: 'x'.repeat(300000) });
  });
  it('rejects a toleration with a typo or a wrong effect, and impossible combinations', () => {
    ok(tolerationSchema, { key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' });
    ok(tolerationSchema, { key: 'spot', operator: 'Equal', value: 'true', effect: 'NoExecute', tolerationSeconds: '60' });
    bad(tolerationSchema, { key: 'gpu', operater: 'Exists' });
    bad(tolerationSchema, { key: 'gpu', effect: 'NoSchedul' });
    bad(tolerationSchema, { key: 'gpu', operator: 'Exists', value: 'x' });
    bad(tolerationSchema, { key: 'gpu', effect: 'NoSchedule', tolerationSeconds: '60' });
  });
});

describe('string formats', () => {
  it('CIDRs', () => {
    for (const v of ['10.0.0.0/16', '0.0.0.0/0', '192.168.1.1/32', 'fd00::/8', '2001:db8::/32']) ok(cidr, v);
    for (const v of ['10.0.0.0', '10.0.0.0/33', '256.0.0.0/8', '10.0.0/8', 'fd00::/129', 'x/8', '10.0.0.0/8/1']) bad(cidr, v);
  });
  it('http(s) URLs, never throwing on a bad port', () => {
    for (const v of ['https://hooks.example.com/a', 'http://prometheus.monitoring.svc:9090', 'http://[::1]:8080/x']) ok(httpUrl, v);
    for (const v of ['ftp://x.example.com', 'javascript:alert(1)', 'http://', 'https://x.example.com:99999/', 'http://x:0/', 'not a url', 'https://a b.com']) bad(httpUrl, v);
  });
  it('hostnames, with the Gateway API wildcard', () => {
    ok(gatewayHostname, '*.example.com');
    ok(gatewayHostname, 'churn.example.com');
    bad(gatewayHostname, '*example.com');
    bad(gatewayHostname, 'a.*.example.com');
    bad(gatewayHostname, 'Churn.example.com');
  });
  it('AWS regions, OIDC issuers, KMS aliases, ingress classes, chart versions, RDS endpoints', () => {
    for (const v of ['eu-west-1', 'us-east-2', 'us-gov-west-1', 'ap-southeast-3', 'cn-north-1']) ok(awsRegion, v);
    for (const v of ['eu-west', 'EU-WEST-1', 'europe', 'eu_west_1']) bad(awsRegion, v);
    ok(oidcIssuer, 'https://oidc.eks.eu-west-1.amazonaws.com/id/ABCDEF0123456789');
    for (const v of ['http://oidc.example.com', 'oidc.eks.amazonaws.com/id/x', 'https://x.example.com/?a=b']) bad(oidcIssuer, v);
    ok(kmsAliasName, 'mlops/artifacts');
    for (const v of ['alias/mlops', 'aws/s3', 'has space', '']) bad(kmsAliasName, v);
    ok(ingressClassName, 'nginx');
    for (const v of ['Nginx', 'nginx class', '']) bad(ingressClassName, v);
    for (const v of ['5.3.0', '2.10.0-rc.1', 'v1.2.3']) ok(chartVersion, v);
    for (const v of ['^5.3.0', '5.3', 'latest', '>=1.0.0']) bad(chartVersion, v);
    for (const v of ['mlflow.abc123.eu-west-1.rds.amazonaws.com', 'db.internal.example.com:5432']) ok(rdsEndpoint, v);
    for (const v of ['postgres://db.example.com', 'db.example.com:99999', 'db', 'db.example.com/mlflow']) bad(rdsEndpoint, v);
  });
  it('time zones that exist in the runtime IANA list, not just look like Area/City', () => {
    for (const v of ['UTC', 'Europe/Berlin', 'America/Argentina/Buenos_Aires', 'Asia/Kolkata']) ok(ianaTimeZone, v);
    for (const v of ['Mars/Olympus_Mons', 'Europe/Berlinn', 'europe/berlin', '+01:00', '']) bad(ianaTimeZone, v);
  });
});

describe('error text', () => {
  const root = new Construct(undefined as any, 'Root');
  const errorOf = (schema: z.ZodType, props: unknown) => {
    try {
      parseProps(schema, props, new Construct(root, `T${Math.random()}`.replace('.', '')));
    } catch (e) {
      if (e instanceof ValidationError) return e.message;
      throw e;
    }
    throw new Error('expected a ValidationError');
  };
  const schema = z.strictObject({
    replicas: z.number().int().min(1).optional(),
    labels: labelsSchema.optional(),
    resources: z.strictObject({ memory: memoryQuantity, memoryLimit: memoryQuantity.optional() }).refine((r) => r.memoryLimit !== '1', { message: 'bad limit', path: ['memoryLimit'] }).optional(),
    nested: z.union([z.literal(false), z.strictObject({ a: z.number().optional(), b: z.strictObject({ c: z.string().optional() }).optional() })]).optional(),
  });
  it.each([[NaN, 'NaN'], [Infinity, 'Infinity'], [-Infinity, '-Infinity']])('shows %s as such', (v, shown) => {
    expect(errorOf(schema, { replicas: v })).toContain(`replicas: got ${shown};`);
  });
  it('names the record key and shows its value', () => {
    const m = errorOf(schema, { labels: { team: 'has space' } });
    expect(m).toContain('labels.team: got "has space"');
    expect(errorOf(schema, { labels: { 'bad key': 'x' } })).toContain('labels.bad key: the key "bad key" is not allowed');
  });
  it('shows the value of a nested refinement, not the whole object', () => {
    const m = errorOf(schema, { resources: { memory: '1Gi', memoryLimit: '1' } });
    expect(m).toContain('resources.memoryLimit: got "1"; bad limit');
    expect(m).not.toContain('"memory":"1Gi"');
  });
  it('lists the allowed keys of an unknown prop at every depth, through unions', () => {
    expect(errorOf(schema, { nested: { b: { d: 1 } } })).toMatch(/unknown prop "d"; allowed props here: c/);
    expect(errorOf(schema, { nested: { z: 1 } })).toMatch(/unknown prop "z"; allowed props here: a, b/);
  });
});
