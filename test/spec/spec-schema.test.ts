import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { platformSpecSchema } from '../../lib/spec/spec-schema';
import { trainingJobSchema } from '../../lib/training/training-props';
import { modelDeploymentSchema } from '../../lib/serving/model-props';
import { driftMonitorSchema } from '../../lib/drift/drift-props';
import { trackingServerSchema } from '../../lib/tracking/tracking-server';
import { monitoringSchema } from '../../lib/monitoring/monitoring';
import { inClusterPostgresSchema } from '../../lib/stores/in-cluster-postgres';
import { s3ArtifactStoreSchema } from '../../lib/aws/s3-artifact-store';
import { rdsRegistryDatabaseSchema } from '../../lib/aws/rds-registry-database';

/**
 * A spec and the TypeScript API cannot disagree: every block of the spec holds the very zod schemas of
 * its construct's props (the same objects, not copies), less only the props that are construct
 * instances in TypeScript and have a declarative form in the spec.
 */
type Shape = Record<string, z.ZodType>;
const unwrap = (s: any): any => (s.unwrap ? unwrap(s.unwrap()) : s);
const shapeOf = (s: any): Shape => unwrap(s).shape;
const spec = platformSpecSchema.shape;
const model = shapeOf((unwrap(spec.models) as any).valueType);
const backends = (unwrap(spec.backend) as any).options.map(shapeOf) as Shape[];
const aws = backends.find((b) => (b.kind as any).value === 'aws')!;
const inCluster = backends.find((b) => (b.kind as any).value === 'in-cluster')!;

function expectSameFields(block: Shape, construct: Shape, instances: string[], changed: string[] = []) {
  expect(Object.keys(block).filter((k) => !(k in construct)).sort()).toEqual(changed.filter((k) => !(k in construct)).sort());
  expect(Object.keys(construct).filter((k) => !(k in block)).sort()).toEqual(instances.sort());
  for (const key of Object.keys(block).filter((k) => k in construct && !changed.includes(k))) expect(block[key], key).toBe(construct[key]);
}

describe('the spec schema is the constructs\' schemas', () => {
  it('models: training, serving and drift', () => {
    expectSameFields(shapeOf(model.training), trainingJobSchema.shape, ['platform'], ['example', 'image', 'command']);
    expectSameFields(shapeOf(model.serving), modelDeploymentSchema.shape, ['platform', 'requestRateMetrics']);
    expectSameFields(shapeOf(model.drift), driftMonitorSchema.shape, ['platform'], ['retrain']);
  });

  it('tracking, monitoring and the backends', () => {
    expectSameFields(shapeOf(spec.tracking), trackingServerSchema.shape, ['namespace', 'artifactStore', 'database', 'cloudIdentity', 'monitoring']);
    expectSameFields(shapeOf((unwrap(spec.monitoring) as any).options[1]), monitoringSchema.shape, []);
    expectSameFields(shapeOf(inCluster.postgres), inClusterPostgresSchema.shape, ['namespace', 'removalPolicy']);
    expect(aws.artifacts).toBe(s3ArtifactStoreSchema);
    expectSameFields(shapeOf(aws.database), rdsRegistryDatabaseSchema.shape, ['namespace', 'clusterName', 'cloudIdentity', 'externalSecrets'], ['vpcId', 'allowedSecurityGroupIds']);
  });
});
