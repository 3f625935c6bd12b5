import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { Construct } from 'constructs';
import { App, TerraformStack } from '../../lib/core/cdktf';
import * as lib from '../../lib';

/**
 * Random values of the wrong type, fed to every public prop of every public
 * construct (prop names read from the props interfaces with the TypeScript
 * compiler, so a new prop is covered without editing this file): the only
 * error a construct may throw is a ValidationError.
 */

const ROOT = join(__dirname, '../..');

/** Constructor props of each exported construct class: class name -> props property names. */
function publicProps(): Map<string, string[]> {
  const program = ts.createProgram([join(ROOT, 'lib/index.ts')], { strict: true, skipLibCheck: true, noEmit: true });
  const checker = program.getTypeChecker();
  const index = checker.getSymbolAtLocation(program.getSourceFile(join(ROOT, 'lib/index.ts'))!)!;
  const out = new Map<string, string[]>();
  for (const exported of checker.getExportsOfModule(index)) {
    // A class exported as a type only (`export type { CanaryJudge }`) cannot be constructed from the package.
    if (exported.declarations?.some((d) => ts.isExportSpecifier(d) && (d.isTypeOnly || d.parent.parent.isTypeOnly))) continue;
    const sym = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
    if (!(sym.flags & ts.SymbolFlags.Class)) continue;
    const decl = sym.valueDeclaration as ts.ClassDeclaration | undefined;
    if (!decl || ts.getCombinedModifierFlags(decl) & ts.ModifierFlags.Abstract) continue;
    const ctor = checker.getTypeOfSymbolAtLocation(sym, decl).getConstructSignatures()[0];
    const props = ctor?.getParameters()[2];
    if (!ctor || !props || ctor.getParameters()[1]?.name !== 'id') continue;
    const type = checker.getNonNullableType(checker.getTypeOfSymbolAtLocation(props, decl));
    out.set(sym.name, checker.getPropertiesOfType(type).map((p) => p.name));
  }
  return out;
}

type Build = (scope: Construct, id: string, props: any) => unknown;
interface Case {
  readonly base: (stack: TerraformStack) => Record<string, unknown>;
  readonly build?: Build;
}

const platformOf = (stack: TerraformStack) => (stack.node.tryFindChild('P') as lib.MlopsPlatform | undefined) ?? new lib.MlopsPlatform(stack, 'P');
const namespaceOf = (stack: TerraformStack) => platformOf(stack).namespace;
const cluster = (stack: TerraformStack) => (stack.node.tryFindChild('Eks') as lib.EksClusterConnection | undefined) ?? new lib.EksClusterConnection(stack, 'Eks', { clusterName: 'prod' });

const CASES: Record<string, Case> = {
  MlopsPlatform: { base: () => ({}) },
  MlopsNamespace: { base: () => ({ name: 'other' }) },
  KubeconfigConnection: { base: () => ({}) },
  WorkloadIdentity: { base: () => ({ namespace: 'mlops', name: 'w', kind: 'serving' }) },
  VolumeArtifactStore: { base: (s) => ({ namespace: namespaceOf(s) }) },
  InClusterPostgres: { base: (s) => ({ namespace: namespaceOf(s) }) },
  TrackingServer: { base: (s) => ({ namespace: namespaceOf(s), artifactStore: platformOf(s).artifactStore, database: platformOf(s).database, name: 'other-mlflow' }) },
  TrainingJob: { base: (s) => ({ platform: platformOf(s), name: 'train', image: 'ghcr.io/acme/train:1.0.0', command: ['python', 'train.py'] }) },
  ModelDeployment: { base: (s) => ({ platform: platformOf(s), model: 'models:/churn@champion' }) },
  DriftMonitor: { base: (s) => ({ platform: platformOf(s), model: 'churn', reference: 'd/ref.parquet', current: 'logs/churn/', features: [{ name: 'a' }] }) },
  RequestRateMetrics: { base: (s) => ({ platform: platformOf(s) }) },
  DvcRemote: { base: (s) => ({ platform: platformOf(s) }) },
  Monitoring: { base: () => ({}) },
  S3ArtifactStore: { base: () => ({ bucketName: 'acme-artifacts' }) },
  ImportedS3ArtifactStore: { base: () => ({ bucketName: 'acme-artifacts', region: 'eu-west-1' }) },
  S3CompatibleArtifactStore: { base: () => ({ bucketName: 'mlflow', endpoint: 'http://minio.storage.svc:9000', credentialsSecret: { name: 'minio' } }) },
  RdsRegistryDatabase: {
    base: (s) => ({ namespace: 'mlops', clusterName: 'prod', vpcId: cluster(s).vpcId, privateSubnetIds: ['subnet-a', 'subnet-b'], allowedSecurityGroupIds: ['sg-1'], databaseCidrs: ['10.0.0.0/16'] }),
  },
  ExistingRdsRegistryDatabase: { base: () => ({ secretArn: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:db', namespace: 'mlops', databaseCidrs: ['10.0.0.0/16'], clusterName: 'prod' }) },
  AwsPodIdentity: { base: () => ({ clusterName: 'prod' }) },
  AwsIrsaIdentity: { base: () => ({ oidcIssuerUrl: 'https://oidc.eks.eu-west-1.amazonaws.com/id/ABC' }) },
  EksClusterConnection: { base: () => ({ clusterName: 'prod' }) },
  ExternalSecretsOperator: { base: () => ({ clusterName: 'prod' }) },
  EncryptionKey: { base: () => ({ description: 'artifacts' }) },
  EbsStorageClass: { base: () => ({ clusterName: 'prod' }) },
  ModelVariant: {
    base: () => ({ namespace: 'mlops', name: 'm', labels: { a: 'b' }, selector: { a: 'b' }, podLabels: { a: 'b' }, podSpec: lib.buildPodSpec({ containers: [{ name: 'c', image: 'ghcr.io/a/b:1.0.0', resources: { cpu: '1', memory: '1Gi' } }] }), replicas: 1, waitForRollout: false }),
  },
  DisruptionBudgets: {
    // Built through `DisruptionBudgets.of(namespace).add(owner, options)`: the options are its props.
    base: () => ({ name: 'm', labels: { a: 'b' }, selector: { a: 'b' } }),
    build: (s, id, p) => lib.DisruptionBudgets.of(namespaceOf(s as TerraformStack)).add(new Construct(s, id), p),
  },
  RegistryDatabaseSecret: {
    base: (s) => ({ externalSecrets: new lib.ExternalSecretsOperator(s, `Eso${s.node.children.length}`, { clusterName: 'prod' }), namespace: 'mlops', secretName: 'db', secretArn: 'arn:x', host: 'db.example.com', port: 5432, databaseName: 'mlflow', instance: 'mlops' }),
  },
};

/** A small seeded generator, so the run is repeatable. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}
const WRONG: (() => unknown)[] = [
  () => 42, () => -1, () => NaN, () => Infinity, () => 'x', () => '', () => true, () => null, () => [], () => [1, 'a'],
  () => ({}), () => ({ unexpected: 1 }), () => () => 1, () => new Date(0), () => Symbol('s'), () => 10n, () => 'http://x:99999',
];

describe('wrong-typed values for every public prop of every public construct', () => {
  const constructs = publicProps();

  it('finds the constructs and gives each a valid base', () => {
    expect(constructs.size).toBeGreaterThanOrEqual(20);
    expect([...constructs.keys()].filter((name) => !CASES[name]).sort()).toEqual([]);
  });

  for (const [name, props] of constructs) {
    const c = CASES[name];
    if (!c) continue;
    it(`${name}: only ValidationError, for ${props.length} props`, () => {
      const r = rng(name.length * 7919);
      const Cls = (lib as any)[name] as new (s: Construct, id: string, p: any) => unknown;
      const build: Build = c.build ?? ((s, id, p) => new Cls(s, id, p));
      const stack = new TerraformStack(new App(), 'S');
      let n = 0;
      const failures: string[] = [];
      for (const prop of props) {
        for (let k = 0; k < 4; k++) {
          const value = WRONG[Math.floor(r() * WRONG.length)]!();
          try {
            build(stack, `C${n++}`, { ...c.base(stack), [prop]: value });
          } catch (e) {
            if (!(e instanceof lib.ValidationError)) failures.push(`${prop} = ${String(typeof value === 'symbol' ? 'Symbol' : Array.isArray(value) ? `[${value}]` : value)}: ${(e as Error)?.constructor?.name}: ${(e as Error)?.message?.split('\n')[0]}`);
          }
        }
      }
      expect(failures).toEqual([]);
    });
  }
});
