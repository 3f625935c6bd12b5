import { describe, expect, it } from 'vitest';
import type { Construct } from 'constructs';
import {
  DriftMonitor,
  MlopsPlatform,
  ModelDeployment,
  TrackingServer,
  TrainingJob,
  ValidationError,
  type ModelDeploymentProps,
  type WorkloadOptions,
} from '../../lib';
import { allContainers, resourceNamed, resourcesOf, secureDefaultViolations, synthStack, type SynthesizedJson } from '../../lib/testing';
import { synthErrorOf } from '../support/errors';

/*
 * The shared workload options (lib/core/workload-options.ts, lib/core/object-metadata.ts) on every
 * workload construct, the platform's defaults, and the construct factories: valid inputs reach the
 * synthesized objects with the secure defaults intact, hostile ones are ValidationErrors naming both sides.
 */

const TRAIN = { name: 'churn', image: 'ghcr.io/acme/train:1.0.0', command: ['python', 'train.py'] };
const DRIFT = { model: 'churn', reference: 'd/ref.parquet', current: 'logs/churn/', features: [{ name: 'a' }] };
const SIDECAR = { name: 'proxy', image: 'ghcr.io/acme/proxy:2.1.0', ports: [{ name: 'proxy', containerPort: 15001 }], writablePaths: ['/tmp'] };

/** Every option at once, as a company would set them. */
const everything: WorkloadOptions = {
  labels: { 'acme.com/team': 'risk' },
  annotations: { 'acme.com/owner': 'risk@acme.com' },
  podLabels: { 'acme.com/mesh': 'on' },
  podAnnotations: { 'acme.com/scrape': 'true' },
  imagePullSecrets: ['acme-registry'],
  env: { ACME_REGION: 'eu' },
  secretEnv: { ACME_TOKEN: { secretName: 'acme-api', key: 'token' } },
  volumes: [{ name: 'acme-ca', configMap: { name: 'acme-ca' } }, { name: 'acme-creds', secret: { secretName: 'acme-creds' } }],
  volumeMounts: [{ volume: 'acme-ca', mountPath: '/etc/acme/ca' }],
  sidecars: [{ ...SIDECAR, volumeMounts: [{ volume: 'acme-creds', mountPath: '/etc/acme/creds' }], secretEnv: { PROXY_KEY: { secretName: 'acme-proxy', key: 'key' } } }],
  nodeSelector: { 'acme.com/pool': 'ml' },
  tolerations: [{ key: 'acme.com/ml', operator: 'Exists', effect: 'NoSchedule' }],
  priorityClassName: 'acme-high',
};

const messageOf = (build: (stack: any) => void) => synthErrorOf(build).message;

const podOf = (r: any) => r.spec.template?.spec ?? r.spec.job_template.spec.template.spec;
const templateOf = (r: any) => r.spec.template?.metadata ?? r.spec.job_template.spec.template.metadata;

/** Each workload construct, built with `options`, and the workload resource whose pod it makes. */
const WORKLOADS: Record<string, { build: (stack: Construct, o: WorkloadOptions) => void; type: string; name: string; main: string }> = {
  ModelDeployment: { build: (s, o) => new MlopsPlatform(s, 'P').addModel('Churn', { model: 'models:/churn@champion', ...o }), type: 'kubernetes_deployment_v1', name: 'churn', main: 'model' },
  TrackingServer: { build: (s, o) => new MlopsPlatform(s, 'P', { tracking: o }), type: 'kubernetes_deployment_v1', name: 'mlflow', main: 'mlflow' },
  InClusterPostgres: { build: (s, o) => new MlopsPlatform(s, 'P', { postgres: o }), type: 'kubernetes_stateful_set_v1', name: 'mlflow-postgres', main: 'postgres' },
  TrainingJob: { build: (s, o) => new MlopsPlatform(s, 'P').addTrainingJob('Churn', { ...TRAIN, schedule: '@daily', ...o }), type: 'kubernetes_cron_job_v1', name: 'churn', main: 'train' },
  DriftMonitor: { build: (s, o) => new MlopsPlatform(s, 'P').addDriftMonitor('Churn', { ...DRIFT, ...o }), type: 'kubernetes_cron_job_v1', name: 'churn-drift', main: 'drift-check' },
  CanaryJudge: {
    // No sidecar: the judge's pod mounts a service-account token, which a sidecar would get too (refused below).
    build: (s, o) => new MlopsPlatform(s, 'P').addModel('Churn', { model: 'models:/churn@champion', canary: { model: 'models:/churn@challenger', weight: 10, judge: { ...o, sidecars: undefined } } }),
    type: 'kubernetes_cron_job_v1', name: 'churn-canary-judge', main: 'canary-judge',
  },
};

describe('workload options on every workload construct', () => {
  for (const [kind, w] of Object.entries(WORKLOADS)) {
    describe(kind, () => {
      const { json } = synthStack((stack) => w.build(stack, everything));
      const workload = resourceNamed(json, w.type, w.name);
      const pod = podOf(workload);
      const containers = [...(pod.init_container ?? []), ...pod.container];
      const main = containers.find((c: any) => c.name === w.main);
      const sidecar = pod.container.find((c: any) => c.name === 'proxy');
      const withSidecar = kind !== 'CanaryJudge';

      it('labels and annotates the workload object and its pods', () => {
        expect(workload.metadata.labels['acme.com/team']).toBe('risk');
        expect(workload.metadata.annotations['acme.com/owner']).toBe('risk@acme.com');
        expect(workload.metadata.labels['acme.com/mesh']).toBeUndefined(); // podLabels: pods only
        const template = templateOf(workload);
        expect(template.labels).toMatchObject({ 'acme.com/team': 'risk', 'acme.com/mesh': 'on' });
        expect(template.annotations).toMatchObject({ 'acme.com/owner': 'risk@acme.com', 'acme.com/scrape': 'true' });
      });

      it('adds env, secret env and mounts to its own container, and pull secrets and placement to the pod', () => {
        expect(main.env).toContainEqual({ name: 'ACME_REGION', value: 'eu' });
        expect(main.env).toContainEqual({ name: 'ACME_TOKEN', value_from: { secret_key_ref: { name: 'acme-api', key: 'token' } } });
        expect(main.volume_mount).toContainEqual({ name: 'acme-ca', mount_path: '/etc/acme/ca', read_only: true });
        expect(pod.image_pull_secrets).toEqual([{ name: 'acme-registry' }]);
        expect(pod.node_selector['acme.com/pool']).toBe('ml');
        expect(pod.toleration).toContainEqual({ key: 'acme.com/ml', operator: 'Exists', effect: 'NoSchedule' });
        expect(pod.priority_class_name).toBe('acme-high');
        expect(pod.volume).toContainEqual({ name: 'acme-ca', config_map: { name: 'acme-ca', default_mode: '0444' } });
        expect(pod.volume).toContainEqual({ name: 'acme-creds', secret: { secret_name: 'acme-creds', default_mode: '0400' } });
      });

      // The canary judge's pod mounts a service-account token, so it refuses sidecars (tested below): no sidecar to look at.
      if (withSidecar) it('builds the sidecar with the same security context as the library container, its own scratch and resources', () => {
        expect(sidecar.image).toBe('ghcr.io/acme/proxy:2.1.0');
        expect(sidecar.security_context).toEqual(main.security_context);
        expect(sidecar.resources).toEqual({ requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '64Mi' } });
        expect(sidecar.env).toEqual([{ name: 'PROXY_KEY', value_from: { secret_key_ref: { name: 'acme-proxy', key: 'key' } } }]);
        const tmp = sidecar.volume_mount.find((m: any) => m.mount_path === '/tmp');
        expect(tmp.name).toMatch(/^sidecar-0-scratch-0$/);
        expect(main.volume_mount?.find((m: any) => m.mount_path === '/tmp')?.name ?? 'none').not.toBe(tmp.name); // not the library's /tmp
        expect(sidecar.volume_mount).toContainEqual({ name: 'acme-creds', mount_path: '/etc/acme/creds', read_only: true });
        expect(secureDefaultViolations(json)).toEqual([]);
      });
    });
  }

  it('labels every object of the construct, not only the workload (Service, ServiceAccount, network policies, HPA)', () => {
    const { json } = synthStack((stack) => new MlopsPlatform(stack, 'P').addModel('Churn', { model: 'models:/churn@champion', labels: { 'acme.com/team': 'risk' } }));
    for (const type of ['kubernetes_service_v1', 'kubernetes_service_account_v1', 'kubernetes_network_policy_v1', 'kubernetes_horizontal_pod_autoscaler_v2']) {
      const mine = Object.values(resourcesOf(json, type)).filter((r: any) => String(r.metadata?.name).includes('churn'));
      expect(mine.length, type).toBeGreaterThan(0);
      for (const r of mine) expect(r.metadata.labels['acme.com/team'], `${type} ${r.metadata.name}`).toBe('risk');
    }
    // The platform's own objects are not the model's.
    expect(resourceNamed(json, 'kubernetes_deployment_v1', 'mlflow').metadata.labels['acme.com/team']).toBeUndefined();
  });

  it('keeps a user annotation literal: Terraform never evaluates it', () => {
    const { json } = synthStack((stack) => new MlopsPlatform(stack, 'P').addModel('Churn', { model: 'models:/churn@champion', annotations: { 'acme.com/x': '${file("/etc/passwd")}' } }));
    expect(resourceNamed(json, 'kubernetes_deployment_v1', 'churn').metadata.annotations['acme.com/x']).toBe('$${file("/etc/passwd")}');
  });

  it('a model with no options synthesizes exactly as before (no empty blocks)', () => {
    const { json } = synthStack((stack) => new MlopsPlatform(stack, 'P').addModel('Churn', { model: 'models:/churn@champion' }));
    const pod = podOf(resourceNamed(json, 'kubernetes_deployment_v1', 'churn'));
    expect(pod.image_pull_secrets).toBeUndefined();
    expect(pod.priority_class_name).toBeUndefined();
    expect(pod.container).toHaveLength(1);
  });
});

describe('hostile workload options are refused, naming both sides', () => {
  const model = (o: Partial<ModelDeploymentProps>) => messageOf((stack) => new MlopsPlatform(stack, 'P').addModel('Churn', { model: 'models:/churn@champion', ...o }));
  it.each([
    [{ labels: { 'app.kubernetes.io/name': 'x' } }, /labels\.app\.kubernetes\.io\/name: got "x"; is a label the library sets/],
    [{ podLabels: { 'mlops.cdktf.io/tracking-client': 'true' } }, /podLabels\.mlops\.cdktf\.io\/tracking-client: .*is a label the library sets/],
    [{ labels: { team: '${file("/etc/passwd")}' } }, /labels\.team: got "\$\{file.*must be a Kubernetes label value/],
    [{ labels: { 'Bad Key': 'x' } }, /the key "Bad Key" is not allowed/],
    [{ annotations: { 'mlops.cdktf.io/canary-effective-weight': '50' } }, /is an annotation the library sets/],
    [{ sidecars: [{ ...SIDECAR, name: 'model' }] }, /sidecars\[0\]\.name: got "model"; the pod already has a container of that name \(model\)/],
    [{ sidecars: [{ ...SIDECAR, image: 'ghcr.io/acme/proxy' }] }, /sidecars\[0\]\.image: got "ghcr.io\/acme\/proxy"/],
    [{ sidecars: [{ ...SIDECAR, security: { runAsUser: 0 } } as any] }, /unknown prop "security"; allowed props here: args, command, env/],
    [{ sidecars: [{ ...SIDECAR, volumeMounts: [{ volume: 'v', mountPath: '/tmp' }] }], volumes: [{ name: 'v', emptyDir: {} }] }, /sidecars\[0\]\.volumeMounts\[0\]\.mountPath: got "\/tmp"; it overlaps "\/tmp", which the library mounts in container "model"/],
    [{ volumes: [{ name: 'v', emptyDir: {} }], volumeMounts: [{ volume: 'v', mountPath: '/opt/mlops/x' }] }, /volumeMounts\[0\]\.mountPath: got "\/opt\/mlops\/x"; it overlaps "\/opt\/mlops"/],
    [{ volumeMounts: [{ volume: 'nope', mountPath: '/etc/x' }] }, /volumeMounts\[0\]\.volume: got "nope"; mount a volume of volumes \(none given\)/],
    [{ volumes: [{ name: 'scripts', emptyDir: {} }] }, /volumes\[0\]\.name: got "scripts"; the library names a volume of this pod so/],
    [{ volumes: [{ name: 'v', emptyDir: {}, secret: { secretName: 's' } }] }, /must have exactly one source/],
    [{ volumes: [{ name: 'v', hostPath: { path: '/' } } as any] }, /unknown prop "hostPath"; allowed props here: configMap, emptyDir, name, persistentVolumeClaim, secret/],
    [{ env: { MLFLOW_TRACKING_URI: 'http://evil' } }, /env\.MLFLOW_TRACKING_URI: MLFLOW_TRACKING_URI is set by the library on container "model"/],
    [{ env: { A: '1' }, secretEnv: { A: { secretName: 's', key: 'k' } } }, /secretEnv\.A: A is also in env/],
    [{ secretEnv: { A: { secretName: 'Not_A_Name', key: 'k' } } }, /secretEnv\.A\.secretName/],
    [{ tolerations: [{ key: 'a', operater: 'Exists' } as any] }, /unknown prop "operater"/],
    [{ priorityClassName: 'High Priority' }, /priorityClassName: got "High Priority"/],
    [{ imagePullSecrets: ['ok', 'Not OK'] }, /imagePullSecrets\[1\]/],
  ] as [Partial<ModelDeploymentProps>, RegExp][])('%j', (o, pattern) => {
    expect(model(o)).toMatch(pattern);
  });

  it('a judge option names its nested path', () => {
    const m = messageOf((stack) =>
      new MlopsPlatform(stack, 'P').addModel('Churn', { model: 'models:/churn@champion', canary: { model: 'models:/churn@challenger', weight: 10, judge: { volumes: [{ name: 'program', emptyDir: {} }] } } }));
    expect(m).toMatch(/canary\.judge\.volumes\[0\]\.name: got "program"; the library names a volume of this pod so/);
  });

  it('a sidecar in a pod that mounts a service-account token (the judge, a retraining drift monitor), which it would get too', () => {
    const judge = messageOf((stack) =>
      new MlopsPlatform(stack, 'P').addModel('Churn', { model: 'models:/churn@champion', canary: { model: 'models:/churn@challenger', weight: 10, judge: { sidecars: [SIDECAR] } } }));
    expect(judge).toMatch(/canary\.judge\.sidecars: got 1 sidecar\(s\); this pod mounts a service-account token to call the Kubernetes API \(canary-judge\)/);
    const drift = messageOf((stack) => {
      const p = new MlopsPlatform(stack, 'P');
      const t = p.addTrainingJob('T', { ...TRAIN, schedule: '@daily' });
      p.addDriftMonitor('D', { ...DRIFT, retrain: { trainingJob: t }, sidecars: [SIDECAR] });
    });
    expect(drift).toMatch(/sidecars: got 1 sidecar\(s\); this pod mounts a service-account token/);
  });

  it('a training job refuses a node-selector key its own GPU placement or a library env name uses', () => {
    expect(messageOf((stack) => new MlopsPlatform(stack, 'P').addTrainingJob('T', { ...TRAIN, env: { HOME: '/root' } }))).toMatch(/env\.HOME: HOME is set by the TrainingJob/);
    expect(messageOf((stack) => new MlopsPlatform(stack, 'P').addTrainingJob('T', { ...TRAIN, sidecars: [{ ...SIDECAR, name: 'train' }] }))).toMatch(/sidecars\[0\]\.name: got "train"; the pod already has a container of that name \(data-validation|train/);
  });

  it('a security override Pod Security "restricted" refuses is refused for a workload with sidecars too (the sidecar shares it)', () => {
    expect(messageOf((stack) => new MlopsPlatform(stack, 'P').addDriftMonitor('D', { ...DRIFT, sidecars: [SIDECAR], security: { runAsUser: 0 } }))).toMatch(/security\.runAsUser: got 0; the namespace enforces Pod Security "restricted"/);
  });
});

describe('platform-wide defaults', () => {
  const build = (stack: Construct) => {
    const p = new MlopsPlatform(stack, 'P', {
      workloadDefaults: { labels: { 'acme.com/cost-center': 'ml', 'acme.com/team': 'platform' }, annotations: { 'acme.com/owner': 'ml@acme.com' }, imagePullSecrets: ['acme-registry'] },
    });
    p.addModel('Churn', { model: 'models:/churn@champion', labels: { 'acme.com/team': 'risk' }, imagePullSecrets: ['risk-registry'] });
    p.addTrainingJob('Churn', { ...TRAIN, schedule: '@daily' });
    p.addDriftMonitor('Churn', DRIFT);
  };
  const { json } = synthStack(build);

  it('reach every Kubernetes object the platform creates', () => {
    const objects: [string, any][] = [];
    for (const [type, resources] of Object.entries(json.resource ?? {})) {
      if (!type.startsWith('kubernetes_')) continue;
      for (const r of Object.values(resources as Record<string, any>)) if (r.metadata) objects.push([`${type} ${r.metadata.name}`, r]);
    }
    expect(objects.length).toBeGreaterThan(30);
    const missing = objects.filter(([, r]) => r.metadata.labels?.['acme.com/cost-center'] !== 'ml' || r.metadata.annotations?.['acme.com/owner'] !== 'ml@acme.com').map(([w]) => w);
    expect(missing).toEqual([]);
    expect(resourceNamed(json, 'kubernetes_namespace_v1', 'mlops').metadata.labels['pod-security.kubernetes.io/enforce']).toBe('restricted');
  });

  it('reach every pod, with pull secrets, and a workload\'s own values merge over them', () => {
    const pods = allContainers(json).map((c) => c.pod);
    for (const pod of new Set(pods)) expect(pod.image_pull_secrets).toContainEqual({ name: 'acme-registry' });
    const model = resourceNamed(json, 'kubernetes_deployment_v1', 'churn');
    expect(model.metadata.labels['acme.com/team']).toBe('risk');
    expect(model.spec.template.metadata.labels['acme.com/team']).toBe('risk');
    expect(model.spec.template.spec.image_pull_secrets).toEqual([{ name: 'acme-registry' }, { name: 'risk-registry' }]);
    expect(resourceNamed(json, 'kubernetes_deployment_v1', 'mlflow').metadata.labels['acme.com/team']).toBe('platform');
  });

  it('leave the StatefulSet\'s immutable volume claim template alone', () => {
    const pg = resourceNamed(json, 'kubernetes_stateful_set_v1', 'mlflow-postgres');
    expect(pg.metadata.labels['acme.com/cost-center']).toBe('ml');
    expect(pg.spec.volume_claim_template[0].metadata.labels['acme.com/cost-center']).toBeUndefined();
  });

  it('refuse the library\'s keys', () => {
    expect(messageOf((stack) => new MlopsPlatform(stack, 'P', { workloadDefaults: { labels: { 'pod-security.kubernetes.io/enforce': 'privileged' } } }))).toMatch(
      /workloadDefaults\.labels\.pod-security\.kubernetes\.io\/enforce: got "privileged"; is a label the library sets/,
    );
    expect(messageOf((stack) => new MlopsPlatform(stack, 'P', { workloadDefaults: { podLabels: { a: 'b' } } as any }))).toMatch(/unknown prop "podLabels"; allowed props here: annotations, imagePullSecrets, labels/);
  });
});

class AcmeModel extends ModelDeployment {
  public readonly team: string;
  constructor(scope: Construct, id: string, props: ModelDeploymentProps) {
    super(scope, id, { ...props, labels: { 'acme.com/team': 'risk', ...props.labels } });
    this.team = 'risk';
  }
}
class AcmeTraining extends TrainingJob {}
class AcmeDrift extends DriftMonitor {}
class AcmeTracking extends TrackingServer {}

describe('construct factories', () => {
  it('build the company classes, typed as them, in the platform\'s maps', () => {
    const { json } = synthStack((stack) => {
      const p = new MlopsPlatform(stack, 'P', { constructs: { model: AcmeModel, trainingJob: AcmeTraining, driftMonitor: AcmeDrift, trackingServer: AcmeTracking } });
      const m: AcmeModel = p.addModel('Churn', { model: 'models:/churn@champion' });
      const fromMap: AcmeModel = p.models.Churn!;
      expect(fromMap).toBe(m);
      expect(m.team).toBe('risk');
      const t: AcmeTraining = p.addTrainingJob('Churn', TRAIN);
      expect(p.trainingJobs.Churn).toBe(t);
      const d: AcmeDrift = p.addDriftMonitor('Churn', DRIFT);
      expect(p.driftMonitors.Churn).toBe(d);
      const s: AcmeTracking = p.trackingServer;
      expect(s).toBeInstanceOf(AcmeTracking);
      expect(m.node.path).toBe('test/P/ModelChurn'); // the same addresses as the library's class
    });
    expect(resourceNamed(json, 'kubernetes_deployment_v1', 'churn').metadata.labels['acme.com/team']).toBe('risk');
  });

  it('accept a function, and the props-level models too', () => {
    const built: string[] = [];
    synthStack((stack) => {
      const p = new MlopsPlatform(stack, 'P', {
        constructs: { model: (scope, id, props) => (built.push(id), new AcmeModel(scope, id, props)) },
        models: { Fraud: { model: 'models:/fraud@champion' } },
      });
      expect(p.models.Fraud).toBeInstanceOf(AcmeModel);
    });
    expect(built).toEqual(['ModelFraud']);
  });

  it.each([
    ['a number', { model: 42 }, /constructs\.model: got 42; must be a class extending the library's/],
    ['a factory returning something else', { model: () => ({}) }, /constructs\.model: built an instance of Object; it must build a ModelDeployment/],
    ['a factory returning a number', { model: () => 1 }, /constructs\.model: built 1; it must build a ModelDeployment/],
    ['a class that is not a ModelDeployment', { model: class Other { constructor() {} } }, /constructs\.model: built an instance of Other; it must build a ModelDeployment/],
    ['a factory building elsewhere', { model: (scope: Construct, _id: string, props: ModelDeploymentProps) => new ModelDeployment(scope, 'Elsewhere', props) }, /constructs\.model: built test\/P\/Elsewhere; build it in the scope and with the id the platform passes \(test\/P\/ModelChurn\)/],
  ])('refuse %s', (_what, constructs, pattern) => {
    expect(messageOf((stack) => new MlopsPlatform(stack, 'P', { constructs: constructs as any }).addModel('Churn', { model: 'models:/churn@champion' }))).toMatch(pattern);
  });
});

describe('wrong types inside the new nested props give ValidationErrors only', () => {
  const values: unknown[] = [42, 'x', null, [], {}, [1], [{}], [{ name: 42 }], { a: 1 }, { a: { secretName: 1 } }, () => 1, NaN];
  const props = ['labels', 'annotations', 'podLabels', 'podAnnotations', 'imagePullSecrets', 'env', 'secretEnv', 'volumes', 'volumeMounts', 'sidecars', 'nodeSelector', 'tolerations', 'priorityClassName'];
  for (const [kind, w] of Object.entries(WORKLOADS)) {
    it(kind, () => {
      const failures: string[] = [];
      for (const prop of props) {
        for (const value of values) {
          try {
            synthStack((stack) => w.build(stack, { [prop]: value } as WorkloadOptions));
          } catch (e) {
            if (!(e instanceof ValidationError)) failures.push(`${prop}=${JSON.stringify(value)}: ${(e as Error).message.split('\n')[0]}`);
          }
        }
      }
      expect(failures).toEqual([]);
    }, 600_000);
  }
  it('platform defaults and factories', () => {
    const failures: string[] = [];
    for (const prop of ['workloadDefaults', 'constructs']) {
      for (const value of [...values, { labels: 5 }, { model: 'x' }, { imagePullSecrets: [1] }]) {
        try {
          synthStack((stack) => new MlopsPlatform(stack, 'P', { [prop]: value } as any).addModel('M', { model: 'models:/m@champion' }));
        } catch (e) {
          if (!(e instanceof ValidationError)) failures.push(`${prop}=${JSON.stringify(value)}: ${(e as Error).message.split('\n')[0]}`);
        }
      }
    }
    expect(failures).toEqual([]);
  }, 600_000);
});

export type { SynthesizedJson };
