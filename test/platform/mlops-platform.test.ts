import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NamespaceV1 } from '@cdktf/provider-kubernetes/lib/namespace-v1';
import { DeploymentV1 } from '@cdktf/provider-kubernetes/lib/deployment-v1';
import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import { MlopsPlatform, Monitoring, ValidationError, VolumeArtifactStore, MlopsNamespace } from '../../lib';
import { allContainers, resourceNamed, resourcesOf, synthStack, secureDefaultViolations } from '../../lib/testing';

const local = () => synthStack((stack) => new MlopsPlatform(stack, 'Platform'));

describe('MlopsPlatform defaults', () => {
  it('creates the namespace with restricted pod security, retained on destroy', () => {
    const { text, json } = local();
    expect(text).toHaveResourceWithProperties(NamespaceV1, {
      metadata: expect.objectContaining({
        name: 'mlops',
        labels: expect.objectContaining({ 'pod-security.kubernetes.io/enforce': 'restricted' }),
      }),
    });
    expect(resourceNamed(json, 'kubernetes_namespace_v1', 'mlops').lifecycle).toEqual({ prevent_destroy: true });
  });

  it('denies all ingress and egress by default and allows DNS', () => {
    const { json } = local();
    const deny = resourceNamed(json, 'kubernetes_network_policy_v1', 'default-deny');
    expect(deny.spec.pod_selector).toEqual({});
    expect(deny.spec.policy_types).toEqual(['Ingress', 'Egress']);
    expect(deny.spec.ingress).toBeUndefined();
    expect(deny.spec.egress).toBeUndefined();
    const dns = resourceNamed(json, 'kubernetes_network_policy_v1', 'allow-dns');
    expect(dns.spec.egress[0].ports).toEqual([
      { port: '53', protocol: 'UDP' },
      { port: '53', protocol: 'TCP' },
    ]);
  });

  it('admits the database only from the tracking server', () => {
    const { json } = local();
    const policy = resourceNamed(json, 'kubernetes_network_policy_v1', 'mlflow-postgres-ingress');
    expect(policy.spec.pod_selector.match_labels['app.kubernetes.io/component']).toBe('database');
    expect(policy.spec.ingress).toEqual([
      {
        from: [{ pod_selector: { match_labels: expect.objectContaining({ 'app.kubernetes.io/component': 'tracking-server' }) } }],
        ports: [{ port: '5432', protocol: 'TCP' }],
      },
    ]);
    const egress = resourceNamed(json, 'kubernetes_network_policy_v1', 'mlflow-database-egress');
    expect(egress.spec.pod_selector.match_labels['app.kubernetes.io/component']).toBe('tracking-server');
  });

  it('admits tracking clients, by label, to the tracking server only on its port', () => {
    const { json } = local();
    const ingress = resourceNamed(json, 'kubernetes_network_policy_v1', 'mlflow-ingress');
    expect(ingress.spec.ingress[0].from).toEqual([
      { pod_selector: { match_labels: { 'mlops.cdktf.io/tracking-client': 'true' } } },
      // Prometheus scrapes /metrics from the monitoring namespace
      { namespace_selector: { match_labels: { 'kubernetes.io/metadata.name': '${kubernetes_namespace_v1.Platform_Monitoring_Namespace_93539DC3.metadata[0].name}' } }, pod_selector: {} },
    ]);
    expect(ingress.spec.ingress[0].ports).toEqual([{ port: '5000', protocol: 'TCP' }]);
    const clients = resourceNamed(json, 'kubernetes_network_policy_v1', 'mlflow-clients-egress');
    expect(clients.spec.pod_selector.match_labels).toEqual({ 'mlops.cdktf.io/tracking-client': 'true' });
  });

  it('runs Postgres as a StatefulSet with a retained volume and a generated password', () => {
    const { json } = local();
    const sts = resourceNamed(json, 'kubernetes_stateful_set_v1', 'mlflow-postgres');
    expect(sts.lifecycle).toEqual({ prevent_destroy: true });
    expect(sts.spec.volume_claim_template[0].metadata.name).toBe('data');
    expect(sts.spec.persistent_volume_claim_retention_policy).toEqual([{ when_deleted: 'Retain', when_scaled: 'Retain' }]);
    const container = sts.spec.template.spec.container[0];
    expect(container.image).toMatch(/^docker\.io\/library\/postgres:\d+\.\d+/);
    expect(container.env).toContainEqual({ name: 'POSTGRES_PASSWORD', value_from: { secret_key_ref: { name: '${kubernetes_secret_v1.Platform_Database_Secret_BF6855F4.metadata[0].name}', key: 'password' } } });
    expect(container.startup_probe.exec.command[0]).toBe('pg_isready');
    const pw = Object.values(resourcesOf(json, 'random_password'))[0];
    expect(pw).toMatchObject({ length: 32, special: false, lifecycle: { prevent_destroy: true } });
  });

  it('keeps artifacts on a retained claim that does not block apply waiting for a consumer', () => {
    const { json } = local();
    const pvc = resourceNamed(json, 'kubernetes_persistent_volume_claim_v1', 'mlflow-artifacts');
    expect(pvc.wait_until_bound).toBe(false);
    expect(pvc.lifecycle).toEqual({ prevent_destroy: true });
    expect(pvc.spec.access_modes).toEqual(['ReadWriteOnce']);
  });

  it('runs the tracking server with the URI from a mounted Secret, proxied artifacts and a schema step first', () => {
    const { json } = local();
    const dep = resourceNamed(json, 'kubernetes_deployment_v1', 'mlflow');
    const pod = dep.spec.template.spec;
    const [init] = pod.init_container;
    const [server] = pod.container;
    expect(init.name).toBe('prepare-database');
    expect(init.command).toEqual(['python', '/opt/mlops/prepare_tracking.py']);
    expect(server.image).toBe('ghcr.io/mlflow/mlflow:v3.17.0-full');
    expect(server.args).toEqual(expect.arrayContaining(['--serve-artifacts', '--artifacts-destination', '/mnt/artifacts']));
    expect(server.args).not.toContain('--app-name');
    // The init step reads the URI at the pod's start; the server from the mounted Secret, which kubelet
    // refreshes, through the wrapper that restarts it when the credentials rotate.
    expect(init.env.find((e: any) => e.name === 'MLFLOW_BACKEND_STORE_URI').value_from.secret_key_ref.key).toBe('uri');
    expect(server.command).toEqual(['python', '/opt/mlops/serve_tracking.py']);
    expect(server.args.slice(0, 2)).toEqual(['mlflow', 'server']);
    expect(server.env.find((e: any) => e.name === 'MLFLOW_BACKEND_STORE_URI')).toBeUndefined();
    expect(server.env.find((e: any) => e.name === 'MLOPS_BACKEND_STORE_URI_FILE').value).toBe('/etc/mlflow-database/uri');
    expect(server.env.find((e: any) => e.name === 'MLOPS_RELOAD_JITTER_SECONDS').value).toBe('0'); // one replica: nobody to stagger with
    const uriVolume = pod.volume.find((v: any) => v.name === 'database-uri');
    expect(uriVolume.secret).toEqual({ secret_name: init.env.find((e: any) => e.name === 'MLFLOW_BACKEND_STORE_URI').value_from.secret_key_ref.name, default_mode: '0440', items: [{ key: 'uri', path: 'uri' }] });
    expect(server.volume_mount).toEqual(expect.arrayContaining([
      { name: 'database-uri', mount_path: '/etc/mlflow-database', read_only: true },
      { name: 'scripts', mount_path: '/opt/mlops', read_only: true },
    ]));
    // No sub_path: kubelet does not refresh a Secret mounted by subPath.
    expect(server.volume_mount.every((m: any) => m.sub_path === undefined)).toBe(true);
    const scripts = resourceNamed(json, 'kubernetes_config_map_v1', 'mlflow-scripts').data;
    expect(Object.keys(scripts).sort()).toEqual(['prepare_tracking.py', 'serve_tracking.py']);
    expect(scripts['serve_tracking.py']).toBe(readFileSync(join(__dirname, '../../lib/tracking/scripts/serve_tracking.py'), 'utf8'));
    expect(server.env.find((e: any) => e.name === 'MLFLOW_SERVER_ALLOWED_HOSTS').value).toContain('mlflow.mlops.svc.cluster.local:*');
    expect(server.env.find((e: any) => e.name === 'MLFLOW_EXPOSE_PROMETHEUS')).toBeDefined();
    for (const probe of ['startup_probe', 'readiness_probe', 'liveness_probe']) expect(server[probe].http_get.path).toBe('/health');
    // a ReadWriteOnce volume cannot follow a surge pod to another node
    expect(dep.spec.strategy.type).toBe('Recreate');
    const svc = resourceNamed(json, 'kubernetes_service_v1', 'mlflow');
    expect(svc.spec.type).toBe('ClusterIP');
  });

  it('gives every container the secure-workload defaults', () => {
    const { json } = local();
    expect(allContainers(json).length).toBeGreaterThanOrEqual(3);
    expect(secureDefaultViolations(json)).toEqual([]);
  });

  it('writes no secret value into the synthesized JSON', () => {
    const { json } = local();
    for (const secret of Object.values(resourcesOf(json, 'kubernetes_secret_v1'))) {
      for (const [key, value] of Object.entries(secret.data ?? {})) {
        if (['password', 'uri', 'flask-secret-key'].includes(key)) expect(value, key).toMatch(/\$\{random_password\./);
      }
    }
    expect(JSON.stringify(json)).not.toMatch(/password1234|"password":\s*"[^$]/);
  });

  it('configures the providers from the kubeconfig, or uses the ones given', () => {
    const { text } = synthStack((stack) => new MlopsPlatform(stack, 'P', { kubeconfig: { configPath: '/etc/kube', context: 'kind-mlops' } }));
    expect(text).toHaveProviderWithProperties(KubernetesProvider, { config_path: '/etc/kube', config_context: 'kind-mlops' });
    const { json } = synthStack((stack) => {
      const kubernetesProvider = new KubernetesProvider(stack, 'K8s', { configPath: '/mine' });
      const { HelmProvider } = require('@cdktf/provider-helm/lib/provider');
      const helmProvider = new HelmProvider(stack, 'Helm', {});
      new MlopsPlatform(stack, 'P', { cluster: { kubernetesProvider, helmProvider } });
    });
    expect(json.provider?.kubernetes).toEqual([{ config_path: '/mine' }]);
  });

  it('exposes typed attributes', () => {
    synthStack((stack) => {
      const platform = new MlopsPlatform(stack, 'Platform', { namespace: 'ml' });
      expect(platform.trackingUri).toBe('http://mlflow.ml.svc.cluster.local:5000');
      expect(platform.namespace).toBeInstanceOf(MlopsNamespace);
      expect(platform.artifactStore).toBeInstanceOf(VolumeArtifactStore);
      expect(platform.database.kind).toBe('in-cluster-postgres');
      expect(platform.trackingServer.deployment).toBeDefined();
    });
  });
});

describe('ReadWriteOnce artifact volume', () => {
  it('puts every pod that mounts it, the tracking server included, on the node that holds it', () => {
    const { json } = synthStack((stack) => {
      const platform = new MlopsPlatform(stack, 'P', { monitoring: false });
      platform.addDriftMonitor('Churn', { model: 'churn', reference: 'd/ref.csv', current: 'd/cur.csv', features: [{ name: 'x' }] });
    });
    const term = {
      label_selector: [{ match_labels: { 'mlops.cdktf.io/artifact-volume': 'mlflow-artifacts' } }],
      topology_key: 'kubernetes.io/hostname',
    };
    const tracking = resourceNamed(json, 'kubernetes_deployment_v1', 'mlflow').spec.template;
    const drift = resourceNamed(json, 'kubernetes_cron_job_v1', 'churn-drift').spec.job_template.spec.template;
    for (const template of [tracking, drift]) {
      expect(template.metadata.labels['mlops.cdktf.io/artifact-volume']).toBe('mlflow-artifacts');
      expect(template.spec.affinity.pod_affinity.required_during_scheduling_ignored_during_execution).toEqual([term]);
    }
  });

  it('places nothing when the volume is ReadWriteMany', () => {
    const { json } = synthStack((stack) => new MlopsPlatform(stack, 'P', { monitoring: false, artifactVolume: { accessMode: 'ReadWriteMany' } }));
    const tracking = resourceNamed(json, 'kubernetes_deployment_v1', 'mlflow').spec.template;
    expect(tracking.spec.affinity).toBeUndefined();
    expect(tracking.metadata.labels['mlops.cdktf.io/artifact-volume']).toBeUndefined();
  });
});

describe('MlopsPlatform exposure and auth', () => {
  const exposed = () =>
    synthStack((stack) => new MlopsPlatform(stack, 'Platform', { tracking: { ingress: { host: 'mlflow.example.com', clusterIssuer: 'letsencrypt' } } }));

  it("lets the UI behind the Ingress change state: its https origin passes MLflow's CORS check", () => {
    const server = resourceNamed(exposed().json, 'kubernetes_deployment_v1', 'mlflow').spec.template.spec.container[0];
    expect(server.env).toContainEqual({ name: 'MLFLOW_SERVER_CORS_ALLOWED_ORIGINS', value: 'https://mlflow.example.com' });
    const internal = resourceNamed(synthStack((stack) => new MlopsPlatform(stack, 'P')).json, 'kubernetes_deployment_v1', 'mlflow').spec.template.spec.container[0];
    expect(internal.env.map((e: any) => e.name)).not.toContain('MLFLOW_SERVER_CORS_ALLOWED_ORIGINS');
  });

  it('turns built-in auth on when exposed through an Ingress with TLS', () => {
    const { json } = exposed();
    const server = resourceNamed(json, 'kubernetes_deployment_v1', 'mlflow').spec.template.spec.container[0];
    expect(server.args).toEqual(expect.arrayContaining(['--app-name', 'basic-auth']));
    expect(server.env.find((e: any) => e.name === 'MLFLOW_AUTH_CONFIG_PATH').value).toBe('/etc/mlflow-auth/basic_auth.ini');
    const ingress = resourceNamed(json, 'kubernetes_ingress_v1', 'mlflow');
    expect(ingress.spec.tls).toEqual([{ hosts: ['mlflow.example.com'], secret_name: 'mlflow-tls' }]);
    expect(ingress.metadata.annotations['cert-manager.io/cluster-issuer']).toBe('letsencrypt');
    const auth = resourceNamed(json, 'kubernetes_secret_v1', 'mlflow-auth');
    expect(auth.data.password).toMatch(/^\$\{random_password\./);
  });

  it('admits the ingress controller namespace', () => {
    const { json } = exposed();
    const ingress = resourceNamed(json, 'kubernetes_network_policy_v1', 'mlflow-ingress');
    expect(ingress.spec.ingress[0].from).toContainEqual({ namespace_selector: { match_labels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } }, pod_selector: {} });
  });

  it('gives in-cluster clients the client credentials, not the admin ones, when a client Secret is named', () => {
    const { json } = synthStack((stack) => {
      const platform = new MlopsPlatform(stack, 'P', { tracking: { auth: { enabled: true, clientSecretName: 'mlflow-clients' } } });
      platform.addTrainingJob('Churn', { name: 'churn', image: 'ghcr.io/acme/train:1.0.0', command: ['python', 'train.py'] });
    });
    const job = Object.values(resourcesOf(json, 'kubernetes_job_v1'))[0];
    const env = job.spec.template.spec.container[0].env;
    expect(env.find((e: any) => e.name === 'MLFLOW_TRACKING_USERNAME').value_from.secret_key_ref).toEqual({ name: 'mlflow-clients', key: 'username' });
    // the server itself keeps using the generated admin Secret
    const server = resourceNamed(json, 'kubernetes_deployment_v1', 'mlflow').spec.template.spec.init_container[0];
    expect(server.env.find((e: any) => e.name === 'MLFLOW_ADMIN_PASSWORD').value_from.secret_key_ref.name).toMatch(/AuthSecret/);
  });

  it('rejects auth credentials when auth is off', () => {
    expect(() => synthStack((stack) => new MlopsPlatform(stack, 'P', { tracking: { auth: { clientSecretName: 'mlflow-clients' } } }))).toThrow(
      /auth\.clientSecretName: credentials were given but auth is off/,
    );
  });

  it('accepts extra Host patterns for pod IP ranges outside the private ones', () => {
    const { json } = synthStack((stack) => new MlopsPlatform(stack, 'P', { monitoring: false, tracking: { extraAllowedHosts: ['198.19.*'] } }));
    const server = resourceNamed(json, 'kubernetes_deployment_v1', 'mlflow').spec.template.spec.container[0];
    expect(server.env.find((e: any) => e.name === 'MLFLOW_SERVER_ALLOWED_HOSTS').value.split(',')).toContain('198.19.*');
    expect(() => synthStack((stack) => new MlopsPlatform(stack, 'P', { tracking: { extraAllowedHosts: ['a,b'] } }))).toThrow(/extraAllowedHosts\[0\]: got "a,b"/);
  });

  it('can keep auth off explicitly when exposed', () => {
    const { json } = synthStack((stack) => new MlopsPlatform(stack, 'P', { tracking: { ingress: { host: 'mlflow.example.com' }, auth: { enabled: false } } }));
    expect(resourceNamed(json, 'kubernetes_deployment_v1', 'mlflow').spec.template.spec.container[0].args).not.toContain('--app-name');
  });

  it('rolls out without downtime and keeps a disruption budget with several replicas on a shared store', () => {
    const { json } = synthStack((stack) => new MlopsPlatform(stack, 'P', { artifactVolume: { accessMode: 'ReadWriteMany' }, tracking: { replicas: 3 } }));
    const dep = resourceNamed(json, 'kubernetes_deployment_v1', 'mlflow');
    expect(dep.spec.strategy).toEqual({ type: 'RollingUpdate', rolling_update: { max_unavailable: '0', max_surge: '1' } });
    expect(dep.spec.replicas).toBe('3');
    // Replicas restart for rotated credentials at random moments within a minute, not all at once.
    expect(dep.spec.template.spec.container[0].env.find((e: any) => e.name === 'MLOPS_RELOAD_JITTER_SECONDS').value).toBe('60');
    // The budget is the namespace's disruption-budgets release (unready pods evictable), not a provider resource.
    expect(resourcesOf(json, 'kubernetes_pod_disruption_budget_v1')).toEqual({});
    const release = Object.values(resourcesOf(json, 'helm_release')).find((r: any) => r.name === 'mlops-disruption-budgets') as any;
    const group = JSON.parse(release.values[0]).groups.find((g: any) => g.names.includes('mlflow'));
    expect(group).toMatchObject({ maxUnavailable: 1, suffix: '-pdb' });
    const selector = { ...group.selector, ...Object.fromEntries(group.nameSelector.map((k: string) => [k, 'mlflow'])) };
    expect(selector).toEqual(dep.spec.selector.match_labels);
  });
});

describe('MlopsPlatform validation', () => {
  const build = (props: any) => () => synthStack((stack) => new MlopsPlatform(stack, 'Platform', props));
  const message = (fn: () => unknown) => {
    try {
      fn();
    } catch (err) {
      expect(err).toBeInstanceOf(ValidationError);
      return (err as Error).message;
    }
    throw new Error('expected a ValidationError');
  };

  it('rejects a namespace that is not an RFC 1123 label', () => {
    const m = message(build({ namespace: 'MLOps_Prod' }));
    expect(m).toContain('test/Platform');
    expect(m).toContain('namespace: got "MLOps_Prod"');
    expect(m).toContain('RFC 1123');
  });
  it('rejects a memory size in GB', () => {
    const m = message(build({ tracking: { resources: { cpu: '500m', memory: '1GB' } } }));
    expect(m).toContain('resources.memory: got "1GB"');
    expect(m).toContain('"2Gi"');
  });
  it('rejects an image without a tag, or with :latest', () => {
    expect(message(build({ tracking: { image: 'ghcr.io/mlflow/mlflow' } }))).toMatch(/image: got "ghcr.io\/mlflow\/mlflow"; has no tag/);
    expect(message(build({ tracking: { image: 'ghcr.io/mlflow/mlflow:latest' } }))).toMatch(/image: got "ghcr.io\/mlflow\/mlflow:latest"; uses ":latest"/);
  });
  it.each([0, -1, 1.5])('rejects replicas %s', (replicas) => {
    expect(message(build({ tracking: { replicas } }))).toMatch(new RegExp(`replicas: got ${replicas};`));
  });
  it('rejects more than one replica on a ReadWriteOnce artifact volume', () => {
    const m = message(build({ tracking: { replicas: 2 } }));
    expect(m).toContain('replicas: got 2');
    expect(m).toContain('ReadWriteOnce');
    expect(m).toContain('ReadWriteMany');
  });
  it('rejects an unknown prop with the list of allowed ones', () => {
    const m = message(build({ namespce: 'mlops' }));
    expect(m).toContain('namespce: unknown prop "namespce"');
    expect(m).toContain('namespace');
  });
  it('rejects a typo in a nested prop', () => {
    const m = message(build({ tracking: { replicaz: 2 } }));
    expect(m).toContain('Invalid props for test/Platform/Tracking');
    expect(m).toContain('replicaz: unknown prop "replicaz"; allowed props here:');
    expect(m).toContain('replicas');
  });
  it('rejects conflicting connection props', () => {
    const m = message(() =>
      synthStack((stack) => {
        const { KubernetesProvider } = require('@cdktf/provider-kubernetes/lib/provider');
        const { HelmProvider } = require('@cdktf/provider-helm/lib/provider');
        new MlopsPlatform(stack, 'Platform', {
          cluster: { kubernetesProvider: new KubernetesProvider(stack, 'K', {}), helmProvider: new HelmProvider(stack, 'H', {}) },
          kubeconfig: { configPath: '/x' },
        });
      }),
    );
    expect(m).toContain('kubeconfig: got both cluster and kubeconfig');
  });
  it('throws at construct time, before synthesis', () => {
    expect(() => synthStack(() => undefined)).not.toThrow();
    let constructed = false;
    expect(() =>
      synthStack((stack) => {
        new MlopsPlatform(stack, 'Platform', { namespace: 'Bad_Name' });
        constructed = true;
      }),
    ).toThrow(ValidationError);
    expect(constructed).toBe(false);
  });
});

describe('stable addresses of stateful resources', () => {
  it('keeps the construct ids of the database, its volume template, the password and the artifact claim', () => {
    const { json } = local();
    expect(Object.keys(resourcesOf(json, 'kubernetes_stateful_set_v1'))).toEqual(['Platform_Database_C370CC99']);
    expect(Object.keys(resourcesOf(json, 'kubernetes_persistent_volume_claim_v1'))).toEqual(['Platform_Artifacts_D98FDC30']);
    expect(Object.keys(resourcesOf(json, 'random_password'))).toEqual(['Platform_Database_Password_498C3BFD', 'Platform_Monitoring_GrafanaAdminPassword_EFF0E5D0']);
    expect(Object.keys(resourcesOf(json, 'kubernetes_namespace_v1'))).toEqual(['Platform_Monitoring_Namespace_93539DC3', 'Platform_Namespace_61F49379']);
    // the releases own the Prometheus and Pushgateway volumes
    expect(Object.keys(resourcesOf(json, 'helm_release'))).toEqual(['Platform_Monitoring_F9C4BEC8', 'Platform_Monitoring_Pushgateway_5F957431']);
    expect(resourcesOf(json, 'kubernetes_stateful_set_v1').Platform_Database_C370CC99.spec.volume_claim_template[0].metadata.name).toBe('data');
  });
});

describe('DeploymentV1 matcher adapter', () => {
  it('fails when the property does not match', () => {
    const { text } = local();
    expect(text).toHaveResource(DeploymentV1);
    expect(text).not.toHaveResourceWithProperties(DeploymentV1, { metadata: expect.objectContaining({ name: 'not-there' }) });
  });
});

describe('several platforms sharing one Monitoring', () => {
  it('keeps same-named models of two namespaces apart: dashboards, rules and drift series', () => {
    const { json } = synthStack((stack) => {
      const monitoring = new Monitoring(stack, 'Monitoring');
      for (const team of ['team-a', 'team-b']) {
        const platform = new MlopsPlatform(stack, team, { name: team, namespace: team, monitoring });
        platform.addModel('Churn', { model: 'models:/churn@champion' });
        platform.addDriftMonitor('Churn', { model: 'churn', reference: 'd/ref.csv', current: 'd/cur.csv', features: [{ name: 'x' }] });
      }
    });
    const dashboards = Object.values(resourcesOf(json, 'kubernetes_config_map_v1')).filter((c: any) => c.metadata.labels?.grafana_dashboard === '1');
    const uids = dashboards.flatMap((c: any) => Object.values(c.data as Record<string, string>).map((d) => JSON.parse(d).uid));
    expect(new Set(uids).size).toBe(uids.length);
    const configs = Object.values(resourcesOf(json, 'kubernetes_config_map_v1'))
      .filter((c: any) => c.data?.['config.json'])
      .map((c: any) => JSON.parse(c.data['config.json']).namespace)
      .sort();
    expect(configs).toEqual(['team-a', 'team-b']);
  });
});
