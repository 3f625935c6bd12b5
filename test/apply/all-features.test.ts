import { TerraformStack } from '../../lib/core/cdktf';
import { addAllFeaturesPlatform } from '../support/all-features';
import { crdFile, describeApplied, keepObjectives, prometheusRuleCrd } from '../support/apply-tier';

// The platform with every optional feature on (tracking Ingress with auth, distributed training with
// data validation, a Gateway canary through the local model-route chart, ...) applied to a real API
// server (see describeApplied; `npm run test:apply`).
describeApplied({
  title: 'a platform with every feature on, applied to a real API server',
  build: (app) => {
    const stack = new TerraformStack(app, 'all-features');
    addAllFeaturesPlatform(stack);
    return stack;
  },
  namespace: 'mlops',
  turnedOff: [
    'helm_release.Platform_Monitoring_F9C4BEC8', // kube-prometheus-stack
    'helm_release.Platform_Monitoring_Pushgateway_5F957431',
    'helm_release.Platform_RequestRateMetrics_5AB2C195', // prometheus-adapter
  ],
  // The objectives chart depends on kube-prometheus-stack only for its CRDs; the model-route chart
  // renders an HTTPRoute (Gateway API v1.3.0, as the helm tests validate it).
  keep: keepObjectives,
  crds: () => [prometheusRuleCrd(), crdFile('gateway.networking.k8s.io_httproutes.yaml')],
});
