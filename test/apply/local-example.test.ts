import { LocalMlopsStack } from '../../examples/local/stack';
import { describeApplied, keepObjectives, prometheusRuleCrd } from '../support/apply-tier';

// examples/local applied to a real API server (see describeApplied; `npm run test:apply`).
describeApplied({
  title: 'examples/local applied to a real API server',
  build: (app) => new LocalMlopsStack(app, 'mlops-local'),
  namespace: 'mlops',
  turnedOff: [
    'helm_release.Platform_Monitoring_F9C4BEC8', // kube-prometheus-stack
    'helm_release.Platform_Monitoring_Pushgateway_5F957431',
  ],
  // The objectives chart (a local chart) depends on kube-prometheus-stack only for its CRDs.
  keep: keepObjectives,
  crds: () => [prometheusRuleCrd()],
});
