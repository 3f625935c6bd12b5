import { Construct } from 'constructs';
import { ConfigMapV1 } from '@cdktf/provider-kubernetes/lib/config-map-v1';
import { CronJobV1, type CronJobV1SpecJobTemplateSpecTemplateSpec } from '@cdktf/provider-kubernetes/lib/cron-job-v1';
import { RoleV1 } from '@cdktf/provider-kubernetes/lib/role-v1';
import { RoleBindingV1 } from '@cdktf/provider-kubernetes/lib/role-binding-v1';
import { programFiles } from '../core/assets';
import { cronPeriodSeconds, spreadSchedule } from '../core/cron';
import { urlPort, type EgressTarget } from '../core/network';
import { CANARY_PUSH_JOB } from '../core/observability';
import { buildPodSpec, type EnvVar } from '../core/workload';
import { applyWorkloadOptions, withDefaults, type WorkloadMetadataOptions } from '../core/workload-options';
import { applyObjectMetadata } from '../core/object-metadata';
import { WorkloadIdentity } from '../cluster/workload-identity';
import { allowEgressTargets } from '../cluster/mlops-namespace';
import type { IMlopsPlatform } from '../core/platform-context';
import type { ParsedCanaryJudge } from './canary-judge-props';
import type { WorkloadResource } from '../core/workload-resource';

export type { CanaryJudgeOptions } from './canary-judge-props';

const PROGRAM_DIR = '/opt/mlops/canary';
const PROGRAM = 'canary_judge.py';

/** What a {@link CanaryJudge} judges. */
export interface CanaryJudgeProps {
  readonly platform: IMlopsPlatform;
  readonly options: ParsedCanaryJudge;
  /** The model's name (`model` label of its series, prefix of the judge's objects). */
  readonly modelName: string;
  /** Registered model and its two aliases: the stable variant serves `champion`, the canary `challenger`. */
  readonly registeredModel: string;
  readonly championAlias: string;
  readonly challengerAlias: string;
  /** The canary Deployment, which the judge scales (0 without a challenger). */
  readonly canaryDeployment: string;
  /** Canary pods while a challenger is judged. */
  readonly canaryReplicas: number;
  /** The model's objectives, which the canary must meet too. */
  readonly slo: { readonly latencyP95Seconds: number; readonly errorRatio: number };
  readonly metrics: { readonly requestDuration: string; readonly requestsTotal: string; readonly statusLabel: string };
  /** Image with Python 3 (the model's MLflow image unless `options.image`). */
  readonly image: string;
  readonly labels: Record<string, string>;
  /** What the judge starts from: the platform's defaults and the model's pull secrets. */
  readonly workloadDefaults?: WorkloadMetadataOptions;
  /** The model's construct path, for errors (the options are its `canary.judge`). */
  readonly at: string;
}

/**
 * The canary's automatic judge: a CronJob (id `Resource`) running `canary_judge.py`, which
 * promotes the challenger (moves `@champion`) or rolls it back (removes `@challenger`) on the
 * error ratio and latency Prometheus measured for both variants, and scales the canary
 * Deployment (a Role allowing only that Deployment's scale). Outcomes go to the Pushgateway as
 * `mlops_canary_*`; {@link canaryRuleGroup} turns them into alerts.
 */
export class CanaryJudge extends Construct {
  public readonly cronJobName: string;
  /** The schedule as the CronJob has it (`H` fields filled in). */
  public readonly schedule: string;
  public readonly periodSeconds: number;
  public readonly cronJob: WorkloadResource;
  public readonly identity: WorkloadIdentity;
  public readonly role: RoleV1;

  constructor(scope: Construct, id: string, props: CanaryJudgeProps) {
    super(scope, id);
    const { platform, options: o } = props;
    const ns = platform.namespace.name;
    const name = `${props.modelName}-canary-judge`;
    const workload = withDefaults(o, props.workloadDefaults);
    applyObjectMetadata(this, workload, props.at);
    this.cronJobName = name;
    this.schedule = spreadSchedule(o.schedule, `${platform.namespace.literalName}/${name}`);
    this.periodSeconds = cronPeriodSeconds(this.schedule);
    const labels = { ...props.labels, 'app.kubernetes.io/component': 'canary-judge' };
    const podLabels = { 'app.kubernetes.io/name': props.modelName, 'app.kubernetes.io/component': 'canary-judge', 'app.kubernetes.io/instance': platform.instanceName };

    this.identity = new WorkloadIdentity(this, 'Identity', { namespace: ns, name, kind: 'serving', labels });
    this.role = new RoleV1(this, 'Role', {
      metadata: { name, namespace: ns, labels },
      rule: [{ apiGroups: ['apps'], resources: ['deployments/scale'], resourceNames: [props.canaryDeployment], verbs: ['get', 'patch'] }],
    });
    new RoleBindingV1(this, 'RoleBinding', {
      metadata: { name, namespace: ns, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: this.role.metadata.name },
      subject: [{ kind: 'ServiceAccount', name: this.identity.serviceAccountName, namespace: ns }],
    });
    const program = new ConfigMapV1(this, 'Program', {
      metadata: { name: `${name}-program`, namespace: ns, labels },
      data: programFiles('serving', PROGRAM),
    });

    const prometheusUrl = (o.prometheusUrl ?? platform.monitoring?.prometheusUrl)!;
    const pushgatewayUrl = platform.monitoring?.pushgatewayUrl;
    const env: EnvVar[] = [
      { name: 'HOME', value: '/tmp' },
      { name: 'PYTHONDONTWRITEBYTECODE', value: '1' },
      ...platform.trackingClientEnv(),
      { name: 'JUDGE_REGISTERED_MODEL', value: props.registeredModel },
      { name: 'JUDGE_CHAMPION_ALIAS', value: props.championAlias },
      { name: 'JUDGE_CHALLENGER_ALIAS', value: props.challengerAlias },
      { name: 'JUDGE_PROMETHEUS_URL', value: prometheusUrl },
      { name: 'JUDGE_NAMESPACE', value: platform.namespace.literalName },
      { name: 'JUDGE_MODEL', value: props.modelName },
      { name: 'JUDGE_REQUESTS_METRIC', value: props.metrics.requestsTotal },
      { name: 'JUDGE_DURATION_METRIC', value: props.metrics.requestDuration },
      { name: 'JUDGE_STATUS_LABEL', value: props.metrics.statusLabel },
      { name: 'JUDGE_WINDOW', value: o.window },
      { name: 'JUDGE_MIN_REQUESTS', value: String(o.minRequests) },
      { name: 'JUDGE_MAX_ERROR_RATIO', value: String(props.slo.errorRatio) },
      { name: 'JUDGE_ERROR_RATIO_TOLERANCE', value: String(o.errorRatioTolerance) },
      { name: 'JUDGE_MAX_LATENCY_P95_SECONDS', value: String(props.slo.latencyP95Seconds) },
      { name: 'JUDGE_LATENCY_TOLERANCE', value: String(o.latencyTolerance) },
      { name: 'JUDGE_CANARY_DEPLOYMENT', value: props.canaryDeployment },
      { name: 'JUDGE_CANARY_REPLICAS', value: String(props.canaryReplicas) },
      ...(pushgatewayUrl ? [{ name: 'JUDGE_PUSHGATEWAY_URL', value: pushgatewayUrl }, { name: 'JUDGE_PUSH_JOB', value: CANARY_PUSH_JOB }] : []),
    ];
    const pod = buildPodSpec(applyWorkloadOptions({
      serviceAccountName: this.identity.serviceAccountName,
      automountServiceAccountToken: true, // it scales the canary through the API server
      restartPolicy: 'Never',
      volumes: [{ name: 'program', configMap: { name: program.metadata.name, defaultMode: '0444' } }],
      containers: [{
        name: 'canary-judge',
        image: o.image ?? props.image,
        command: ['python3', `${PROGRAM_DIR}/${PROGRAM}`],
        env,
        resources: o.resources,
        volumeMounts: [{ name: 'program', mountPath: PROGRAM_DIR, readOnly: true }],
        writablePaths: ['/tmp'],
      }],
    }, workload, props.at, { propPrefix: 'canary.judge.' }));
    const jobLabels = { ...labels, ...podLabels, ...platform.trackingClientLabels() };
    this.cronJob = new CronJobV1(this, 'Resource', {
      metadata: { name, namespace: ns, labels },
      spec: {
        schedule: this.schedule,
        concurrencyPolicy: 'Forbid',
        startingDeadlineSeconds: Math.min(600, this.periodSeconds),
        successfulJobsHistoryLimit: 3,
        failedJobsHistoryLimit: 3,
        jobTemplate: {
          metadata: { labels },
          spec: {
            backoffLimit: 0, // the next scheduled run is the retry
            activeDeadlineSeconds: 300,
            ttlSecondsAfterFinished: "86400",
            template: { metadata: { labels: jobLabels }, spec: pod as CronJobV1SpecJobTemplateSpecTemplateSpec },
          },
        },
      },
    });

    // Egress: the tracking server is opened by the client label; Prometheus, the Pushgateway and the API server here.
    const egress: EgressTarget[] = [
      { name: 'api-server', to: [{ cidr: '0.0.0.0/0' }], ports: [{ port: 443 }, { port: 6443 }] },
    ];
    if (platform.monitoring) {
      const ports = [urlPort(prometheusUrl), ...(pushgatewayUrl ? [urlPort(pushgatewayUrl)] : [])];
      egress.push({ name: 'monitoring', to: [{ namespace: platform.monitoring.prometheusNamespace }], ports: [...new Set(ports)].map((port) => ({ port })) });
    }
    allowEgressTargets(platform.namespace, this, name, podLabels, egress);
  }
}
