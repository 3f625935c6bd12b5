import { describe, expect, it } from 'vitest';
import { DeploymentV1 } from '@cdktf/provider-kubernetes/lib/deployment-v1';
import { buildPodSpec, type SecurityOptions } from '../../lib/core/workload';
import { RoleBindingV1 } from '@cdktf/provider-kubernetes/lib/role-binding-v1';
import { MlopsPlatform } from '../../lib';
import { secureDefaultViolations, synthStack } from '../../lib/testing';
import { addClusterProviders } from '../support/providers';

const stackWith = (security: SecurityOptions, image = 'x:1.0', automountServiceAccountToken = false) =>
  synthStack((stack) => {
    addClusterProviders(stack);
    new DeploymentV1(stack, 'App', {
      metadata: { name: 'app' },
      spec: {
        selector: { matchLabels: { app: 'a' } },
        template: {
          metadata: { labels: { app: 'a' } },
          spec: buildPodSpec({ security, automountServiceAccountToken, containers: [{ name: 'c', image, resources: { cpu: '1', memory: '1Gi' } }] }),
        },
      },
    });
  }).json;

describe('secureDefaultViolations', () => {
  it('finds nothing in a pod built with the defaults', () => {
    expect(secureDefaultViolations(stackWith({}))).toEqual([]);
  });

  it('names the container and each default it breaks', () => {
    const problems = secureDefaultViolations(stackWith({ readOnlyRootFilesystem: false, allowPrivilegeEscalation: true, runAsUser: 0, runAsNonRoot: false }, 'x:latest', true));
    expect(problems).toEqual([
      'kubernetes_deployment_v1.App/c: run_as_non_root is not true',
      'kubernetes_deployment_v1.App/c: run_as_user is not a non-root uid',
      'kubernetes_deployment_v1.App/c: root filesystem is writable',
      'kubernetes_deployment_v1.App/c: privilege escalation is allowed',
      'kubernetes_deployment_v1.App/c: mounts a service-account token',
      'kubernetes_deployment_v1.App/c: image x:latest is not pinned',
    ]);
  });

  it('reads the pod\'s settings where a container leaves them unset, and a container\'s own where it sets them', () => {
    const json = stackWith({});
    const pod = (json.resource as any).kubernetes_deployment_v1.App.spec.template.spec;
    expect(pod.container[0].security_context.run_as_non_root).toBeUndefined(); // inherited from the pod
    pod.container[0].security_context = { ...pod.container[0].security_context, run_as_non_root: false, run_as_user: '0', privileged: true, seccomp_profile: { type: 'Unconfined' } };
    expect(secureDefaultViolations(json)).toEqual([
      'kubernetes_deployment_v1.App/c: run_as_non_root is not true',
      'kubernetes_deployment_v1.App/c: run_as_user is not a non-root uid',
      'kubernetes_deployment_v1.App/c: privileged',
      'kubernetes_deployment_v1.App/c: seccomp profile is not RuntimeDefault',
    ]);
    delete pod.container[0].security_context;
    pod.security_context = {};
    expect(secureDefaultViolations(json)).toContain('kubernetes_deployment_v1.App/c: run_as_non_root is not true');
  });

  it('allows a token only where asked', () => {
    const json = stackWith({}, 'x:1.0', true);
    expect(secureDefaultViolations(json, { tokenAllowedFor: /\.App\// })).toEqual([]);
  });

  const retraining = (extra?: (sa: string, stack: any) => void) =>
    synthStack((stack) => {
      const p = new MlopsPlatform(stack, 'Platform');
      const training = p.addTrainingJob('Churn', { name: 'churn', image: 'ghcr.io/acme/t:1.0.0', command: ['python', 't.py'], schedule: '@weekly' });
      const drift = p.addDriftMonitor('Churn', { model: 'churn', reference: 'd/r.parquet', current: 'logs/churn/', features: [{ name: 'a' }], retrain: { trainingJob: training } });
      extra?.((drift as any).identity.serviceAccountName, stack);
    }).json;

  it("recognizes the library's own justified token by default: the drift monitor's retrain trigger", () => {
    expect(secureDefaultViolations(retraining())).toEqual([]);
  });

  it('still flags that pod when its service account is bound to anything more', () => {
    const json = retraining((sa, stack) => {
      new RoleBindingV1(stack, 'Extra', { metadata: { name: 'extra', namespace: 'mlops' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'edit' }, subject: [{ kind: 'ServiceAccount', name: sa, namespace: 'mlops' }] });
    });
    expect(secureDefaultViolations(json).some((v) => v.includes('mounts a service-account token'))).toBe(true);
  });
});
