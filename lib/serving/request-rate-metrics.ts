import { Construct } from 'constructs';
import { z } from 'zod';
import { Release } from '@cdktf/provider-helm/lib/release';
import { TerraformStack } from '../core/cdktf';
import { parseProps } from '../core/props';
import { fail } from '../core/errors';
import { chartVersion, httpUrl, k8sName } from '../core/validators';
import { urlPort } from '../core/network';
import type { IMlopsPlatform } from '../core/platform-context';
import { lazyLiteralString } from '../core/literal';

export const PROMETHEUS_ADAPTER_CHART_REPOSITORY = 'https://prometheus-community.github.io/helm-charts';
export const PROMETHEUS_ADAPTER_CHART_VERSION = '5.3.0';
/** Where kube-prometheus-stack's Prometheus answers when installed as release `kube-prometheus-stack` in `monitoring`. */
export const DEFAULT_PROMETHEUS_URL = 'http://kube-prometheus-stack-prometheus.monitoring.svc:9090';

/** Properties of a {@link RequestRateMetrics}. */
export interface RequestRateMetricsProps {
  /**
   * Namespace of the adapter. It must reach the Kubernetes API and Prometheus, so it
   * does not go into the platform's default-deny namespace.
   * @default - the platform's Prometheus namespace, else 'monitoring'
   */
  readonly namespace?: string;
  /**
   * Prometheus base URL the adapter queries.
   * @default - the platform's Monitoring `prometheusUrl`, else 'http://kube-prometheus-stack-prometheus.monitoring.svc:9090'
   *   (the Service of a kube-prometheus-stack release named `kube-prometheus-stack`)
   */
  readonly prometheusUrl?: string;
  /**
   * prometheus-adapter chart version.
   * @default '5.3.0'
   */
  readonly chartVersion?: string;
  /**
   * Window of the rate() behind each `*_per_second` metric.
   * @default '2m'
   */
  readonly rateWindow?: string;
}

const schema = z.strictObject({
  namespace: k8sName.optional(),
  prometheusUrl: httpUrl.optional(),
  chartVersion: chartVersion.default(PROMETHEUS_ADAPTER_CHART_VERSION),
  rateWindow: z.string().regex(/^\d+[smh]$/, { message: 'must be a Prometheus duration such as "2m"' }).default('2m'),
});

const COUNTER = /^[a-zA-Z_:][a-zA-Z0-9_:]*_total$/;

/**
 * Request-rate metrics for HorizontalPodAutoscalers: prometheus-adapter serves
 * `<counter without _total>_per_second` (e.g. `http_requests_per_second`) per pod
 * through the custom metrics API, computed from the counters the model servers
 * expose and Prometheus scrapes.
 *
 * One per platform: {@link RequestRateMetrics.of} creates it on first use. The
 * chart has no CRDs (it registers an APIService), and an HPA accepts a metric the
 * API does not serve yet, so a first `apply` on an empty cluster works in one
 * pass. Needs in the cluster: Prometheus scraping the model pods with `namespace`
 * and `pod` labels (the platform's Monitoring does this).
 */
export class RequestRateMetrics extends Construct {
  /** Returns the platform's instance, creating it (with default props) on first call. */
  public static of(platform: IMlopsPlatform, props: RequestRateMetricsProps = {}): RequestRateMetrics {
    const scope: Construct = platform instanceof Construct ? platform : TerraformStack.of(platform.namespace);
    const id = platform instanceof Construct ? 'RequestRateMetrics' : `RequestRateMetrics-${platform.instanceName}`;
    const existing = scope.node.tryFindChild(id);
    if (existing instanceof RequestRateMetrics) return existing;
    return new RequestRateMetrics(scope, id, { platform, ...props });
  }

  /** The prometheus-adapter release. */
  public readonly release: Release;
  public readonly prometheusUrl: string;
  private readonly counters = new Set<string>();

  constructor(scope: Construct, id: string, props: RequestRateMetricsProps & { readonly platform: IMlopsPlatform }) {
    super(scope, id);
    const { platform, ...rest } = props;
    const p = parseProps(schema, rest, this);
    this.prometheusUrl = p.prometheusUrl ?? platform.monitoring?.prometheusUrl ?? DEFAULT_PROMETHEUS_URL;
    const url = new URL(this.prometheusUrl);
    const port = urlPort(url);
    const namespace = p.namespace ?? platform.monitoring?.prometheusNamespace ?? 'monitoring';
    const values = () => ({
      fullnameOverride: `${platform.instanceName}-prometheus-adapter`.slice(0, 63),
      prometheus: { url: `${url.protocol}//${url.hostname}`, port, path: url.pathname === '/' ? '' : url.pathname },
      // No podLabels: the chart sets the app.kubernetes.io labels and selects on its own instance label;
      // repeating them would make the pod template disagree with the selector.
      rules: {
        default: false,
        custom: [...this.counters].sort().map((counter) => ({
          seriesQuery: `${counter}{namespace!="",pod!=""}`,
          resources: { overrides: { namespace: { resource: 'namespace' }, pod: { resource: 'pod' } } },
          name: { matches: '^(.*)_total$', as: '${1}_per_second' },
          metricsQuery: `sum(rate(<<.Series>>{<<.LabelMatchers>>}[${p.rateWindow}])) by (<<.GroupBy>>)`,
        })),
      },
    });
    this.release = new Release(this, 'Resource', {
      name: `${platform.instanceName}-prometheus-adapter`.slice(0, 53),
      repository: PROMETHEUS_ADAPTER_CHART_REPOSITORY,
      chart: 'prometheus-adapter',
      version: p.chartVersion,
      namespace,
      // The platform's Monitoring creates its namespace itself (and the token orders it first).
      createNamespace: platform.monitoring === undefined,
      atomic: true,
      cleanupOnFail: true,
      // Literal: the adapter's own `${1}` template must reach it, not be interpolated by Terraform.
      values: [lazyLiteralString(() => JSON.stringify(values()))],
    });
  }

  /**
   * Serves `<counter without _total>_per_second` for `counter` (e.g. `http_requests_total`)
   * and returns that metric name for an HPA `Pods` metric.
   */
  public metricFor(counter: string): string {
    if (!COUNTER.test(counter)) fail(this.node.path, 'counter', `got ${JSON.stringify(counter)}; must be a Prometheus counter name ending in "_total"`);
    this.counters.add(counter);
    return counter.replace(/_total$/, '_per_second');
  }
}
