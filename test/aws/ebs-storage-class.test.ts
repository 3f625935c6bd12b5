import { describe, expect, it } from 'vitest';
import { resourcesOf } from '../../lib/testing';
import { synthExample } from '../support/app-synth';

describe('EbsStorageClass in examples/aws', () => {
  const json = synthExample('aws')['mlops-aws'].json as any;
  const classes = Object.entries(resourcesOf(json, 'kubernetes_storage_class_v1'));

  it('creates an encrypted gp3 class bound where the pod runs, keeping volumes when claims go', () => {
    expect(classes).toHaveLength(1);
    expect(classes[0]![1]).toMatchObject({
      metadata: { name: 'gp3' },
      storage_provisioner: 'ebs.csi.aws.com',
      volume_binding_mode: 'WaitForFirstConsumer',
      reclaim_policy: 'Retain',
      parameters: { type: 'gp3', encrypted: 'true' },
    });
  });

  it('installs the EBS CSI driver with its own role, after the pod identity agent', () => {
    const addons = Object.entries(resourcesOf(json, 'aws_eks_addon')) as [string, any][];
    const driver = addons.find(([, a]) => a.addon_name === 'aws-ebs-csi-driver')!;
    const agent = addons.find(([, a]) => a.addon_name === 'eks-pod-identity-agent')!;
    expect(driver[1].pod_identity_association).toEqual([{ role_arn: expect.stringMatching(/^\$\{aws_iam_role\./), service_account: 'ebs-csi-controller-sa' }]);
    expect(driver[1].depends_on).toContain(`aws_eks_addon.${agent[0]}`);
  });

  it('names the class on every volume: artifact store claims, Prometheus and the Pushgateway (none waits for a default class)', () => {
    const ref = `\${kubernetes_storage_class_v1.${classes[0]![0]}.metadata[0].name}`;
    const releases = Object.values(resourcesOf(json, 'helm_release')) as any[];
    const kps = JSON.parse(releases.find((r) => r.chart === 'kube-prometheus-stack').values[0]);
    expect(kps.prometheus.prometheusSpec.storageSpec.volumeClaimTemplate.spec.storageClassName).toBe(ref);
    const push = JSON.parse(releases.find((r) => r.chart === 'prometheus-pushgateway').values[0]);
    expect(push.persistentVolume.storageClass).toBe(ref);
    for (const pvc of Object.values(resourcesOf(json, 'kubernetes_persistent_volume_claim_v1')) as any[]) expect(pvc.spec.storage_class_name).toBe(ref);
    for (const sts of Object.values(resourcesOf(json, 'kubernetes_stateful_set_v1')) as any[]) {
      for (const t of sts.spec.volume_claim_template ?? []) expect(t.spec.storage_class_name).toBe(ref);
    }
  });
});
