import { describe, expect, it } from 'vitest';
import { MlopsPlatform, MlopsNamespace, ModelDeployment } from '../../lib';
import { synthStack } from '../../lib/testing';
import { synthErrorOf } from '../support/errors';

/** Configurations that cannot work are refused at construct time, naming both sides. */
const messageOf = (build: Parameters<typeof synthStack>[0]) => synthErrorOf(build).message;
const TRAIN = { image: 'ghcr.io/acme/train:1.0.0', command: ['python', 'train.py'] };

describe('impossible configurations', () => {
  it('two models with the same name in one namespace', () => {
    const m = messageOf((stack) => {
      const p = new MlopsPlatform(stack, 'P');
      p.addModel('A', { model: 'models:/churn@champion' });
      p.addModel('B', { model: 'models:/churn@challenger' });
    });
    expect(m).toMatch(/P\/ModelB:\n {2}- model: got "churn"; test\/P\/ModelA already has a Service named "churn"/);
  });
  it('a model named like a platform component', () => {
    const m = messageOf((stack) => new MlopsPlatform(stack, 'P').addModel('M', { name: 'mlflow', model: 'models:/x@champion' }));
    expect(m).toMatch(/name: got "mlflow"; test\/P\/Tracking already has a Service named "mlflow"/);
  });
  it('a training job and a drift monitor whose CronJobs collide', () => {
    const m = messageOf((stack) => {
      const p = new MlopsPlatform(stack, 'P');
      p.addTrainingJob('T', { ...TRAIN, name: 'churn-drift', schedule: '@daily' });
      p.addDriftMonitor('D', { model: 'churn', reference: 'd/r.parquet', current: 'logs/churn/', features: [{ name: 'a' }] });
    });
    expect(m).toMatch(/already has a CronJob named "churn-drift"/);
  });
  it('the same names in two platforms of their own namespaces are fine', () => {
    expect(() =>
      synthStack((stack) => {
        new MlopsPlatform(stack, 'A', { namespace: 'a', monitoring: false }).addModel('M', { model: 'models:/churn@champion' });
        new MlopsPlatform(stack, 'B', { namespace: 'b', monitoring: false }).addModel('M', { model: 'models:/churn@champion' });
      }),
    ).not.toThrow();
  });
  it('the monitoring namespace equal to the platform namespace', () => {
    expect(messageOf((stack) => new MlopsPlatform(stack, 'P', { namespace: 'ops', monitoringOptions: { namespace: 'ops' } }))).toMatch(/monitoringOptions\.namespace: got "ops" for both/);
    expect(messageOf((stack) => new MlopsPlatform(stack, 'P', { namespace: 'monitoring' }))).toMatch(/namespace: got "monitoring" for both/);
  });
  it('a scratch mount over /tmp, which the job mounts itself', () => {
    expect(messageOf((stack) => new MlopsPlatform(stack, 'P').addTrainingJob('T', { ...TRAIN, name: 't', scratch: { sizeLimit: '1Gi', mountPath: '/tmp' } }))).toMatch(/scratch.mountPath: got "\/tmp"; it overlaps/);
  });
  it.each([
    [{ runAsUser: 0 }, 'security.runAsUser: got 0'],
    [{ runAsNonRoot: false }, 'security.runAsNonRoot: got false'],
    [{ addCapabilities: ['SYS_ADMIN'] }, 'security.addCapabilities: got ["SYS_ADMIN"]'],
    [{ allowPrivilegeEscalation: true }, 'security.allowPrivilegeEscalation: got true'],
    [{ seccompProfile: 'Unconfined' as const }, 'security.seccompProfile: got "Unconfined"'],
  ])('a security override Pod Security "restricted" would refuse: %j', (security, text) => {
    const m = messageOf((stack) => new MlopsPlatform(stack, 'P').addModel('M', { model: 'models:/x@champion', security }));
    expect(m).toContain(text);
    expect(m).toContain('enforces Pod Security "restricted"');
  });
  it('allows NET_BIND_SERVICE under restricted, and root where the namespace is privileged', () => {
    expect(() => synthStack((stack) => new MlopsPlatform(stack, 'P').addModel('M', { model: 'models:/x@champion', security: { addCapabilities: ['NET_BIND_SERVICE'] } }))).not.toThrow();
    expect(() =>
      synthStack((stack) => {
        const p = new MlopsPlatform(stack, 'P', { monitoring: false });
        const ns = new MlopsNamespace(stack, 'Legacy', { name: 'legacy', podSecurity: 'privileged' });
        new ModelDeployment(stack, 'M', { platform: { ...p, namespace: ns, instanceName: p.instanceName, trackingUri: p.trackingUri, artifactStore: p.artifactStore, trackingClientEnv: () => p.trackingClientEnv(), trackingClientLabels: () => p.trackingClientLabels() } as any, model: 'models:/x@champion', security: { runAsUser: 0, runAsNonRoot: false } });
      }),
    ).not.toThrow();
  });
  it('a drift monitor that retrains a job of another platform (namespace), naming both', () => {
    const DRIFT = { model: 'churn', reference: 'd/r.parquet', current: 'logs/churn/', features: [{ name: 'a' }] };
    const m = messageOf((stack) => {
      const a = new MlopsPlatform(stack, 'A', { namespace: 'team-a' });
      const b = new MlopsPlatform(stack, 'B', { namespace: 'team-b', monitoring: false });
      const job = b.addTrainingJob('Churn', { ...TRAIN, name: 'churn', schedule: '@daily' });
      a.addDriftMonitor('Churn', { ...DRIFT, retrain: { trainingJob: job } });
    });
    expect(m).toMatch(/test\/A\/DriftChurn:\n {2}- retrain\.trainingJob: got test\/B\/TrainingChurn, whose CronJob is in namespace "team-b"; this drift monitor runs in namespace "team-a"/);
    // The same platform is fine, and so is a hand-made target in the same namespace.
    expect(() =>
      synthStack((stack) => {
        const a = new MlopsPlatform(stack, 'A', { namespace: 'team-a' });
        a.addDriftMonitor('Churn', { ...DRIFT, retrain: { trainingJob: a.addTrainingJob('Churn', { ...TRAIN, name: 'churn', schedule: '@daily' }) } });
        a.addDriftMonitor('Other', { ...DRIFT, model: 'other', retrain: { trainingJob: { cronJobName: 'other', namespaceName: 'team-a' } } });
      }),
    ).not.toThrow();
  });
  it('an artifact prefix on the volume store, which cannot scope access and would ignore it', () => {
    const m = messageOf((stack) => new MlopsPlatform(stack, 'P').addTrainingJob('T', { ...TRAIN, name: 't', artifactAccess: 'read', artifactPrefix: 'datasets/churn/' }));
    expect(m).toMatch(/artifactPrefix: got "datasets\/churn\/"; the artifact store \(volume, test\/P\/Artifacts\) gives its pods all of it/);
  });
});
