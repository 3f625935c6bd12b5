import type { Construct } from 'constructs';
import { ConfigMapV1 } from '@cdktf/provider-kubernetes/lib/config-map-v1';
import { CronJobV1, type CronJobV1SpecJobTemplateSpecTemplateSpec } from '@cdktf/provider-kubernetes/lib/cron-job-v1';
import { programFiles } from '../core/assets';
import { SharedProgram } from '../core/shared-program';
import { buildPodSpec, type EnvVar } from '../core/workload';
import { applyWorkloadOptions, type WorkloadOptions } from '../core/workload-options';
import type { DriftArtifactAccess } from './artifact-access';
import type { ParsedDriftProps } from './drift-props';
import { nameOf } from '../core/references';

const CONTAINER = 'drift-check';
const PROGRAM_DIR = '/opt/mlops/drift';
const CONFIG_DIR = '/etc/mlops/drift';
/**
 * Exit codes of drift_check.py that a retry cannot fix, or that a retry would count twice (7: the run was
 * recorded). 10 (insufficient data) is both: a retry reads the same too-small window, and its report is written.
 */
const NO_RETRY_EXIT_CODES = [1, 2, 3, 4, 5, 7, 10];

/** The ConfigMaps the check mounts: the program (drift_check.py and its drift_*.py modules) shipped in the package, and its config. */
export interface DriftCheckFiles {
  readonly program: ConfigMapV1;
  readonly config: ConfigMapV1;
}

/**
 * The config ConfigMap (`<name>-config`) and the program (drift_check.py and its drift_*.py modules),
 * shared by every drift monitor of the namespace (`mlops-program-drift-check`, under `namespaceScope`).
 */
export function driftCheckFiles(scope: Construct, namespaceScope: Construct, name: string, namespace: string, labels: Record<string, string>, config: Record<string, unknown>): DriftCheckFiles {
  const program = SharedProgram.of(namespaceScope, { program: 'drift-check', namespace, files: () => programFiles('drift', 'drift_check.py') });
  const configMap = new ConfigMapV1(scope, 'Config', {
    metadata: { name: `${name}-config`, namespace, labels },
    data: { 'config.json': JSON.stringify(config) + '\n' }, // compact: one copy per model in the plan and state
  });
  return { program, config: configMap };
}

/** The CronJob and what its pods get. */
export interface DriftCronJobOptions {
  readonly props: ParsedDriftProps;
  readonly name: string;
  readonly namespace: string;
  readonly labels: Record<string, string>;
  /** Pod labels that open the monitor's egress (the namespace's shared policies). */
  readonly egressPodLabels: Record<string, string>;
  readonly serviceAccountName: string;
  /** Only the retraining trigger talks to the API server. */
  readonly mountServiceAccountToken: boolean;
  readonly access: DriftArtifactAccess;
  readonly files: DriftCheckFiles;
  /** The concrete schedule (`H` fields filled in). */
  readonly schedule: string;
  /** Seconds between scheduled runs. */
  readonly periodSeconds: number;
  /** The monitor's workload options, the platform's defaults merged in. */
  readonly workload: WorkloadOptions;
  /** Construct path, for errors. */
  readonly at: string;
}

/**
 * The CronJob (id `Resource`) running drift_check.py: one check at a time, a
 * late start skipped, no retry for failures a retry cannot fix.
 */
export function driftCronJob(scope: Construct, o: DriftCronJobOptions): CronJobV1 {
  const { props: p, labels, access } = o;
  return new CronJobV1(scope, 'Resource', {
    metadata: { name: o.name, namespace: o.namespace, labels },
    spec: {
      schedule: o.schedule,
      timezone: p.timeZone,
      concurrencyPolicy: 'Forbid',
      // A check started much later than scheduled would overlap the next one; skip it instead.
      startingDeadlineSeconds: Math.min(3600, o.periodSeconds),
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 3,
      jobTemplate: {
        metadata: { labels },
        spec: {
          backoffLimit: 1,
          activeDeadlineSeconds: p.activeDeadlineSeconds,
          podFailurePolicy: {
            rule: [
              { action: 'Ignore', onPodCondition: [{ type: 'DisruptionTarget', status: 'True' }] },
              { action: 'FailJob', onExitCodes: { containerName: CONTAINER, operator: 'In', values: NO_RETRY_EXIT_CODES } },
            ],
          },
          template: {
            metadata: { labels: { ...labels, ...access.podLabels, ...o.egressPodLabels } },
            spec: driftPodSpec(o) as CronJobV1SpecJobTemplateSpecTemplateSpec,
          },
        },
      },
    },
  });
}

function driftPodSpec(o: DriftCronJobOptions) {
  const { props: p, access, files } = o;
  const env: EnvVar[] = [
    { name: 'DRIFT_CONFIG', value: `${CONFIG_DIR}/config.json` },
    { name: 'HOME', value: '/tmp' },
    { name: 'PYTHONUNBUFFERED', value: '1' },
    { name: 'PYTHONDONTWRITEBYTECODE', value: '1' },
    ...access.env,
  ];
  return buildPodSpec(applyWorkloadOptions({
    serviceAccountName: o.serviceAccountName,
    automountServiceAccountToken: o.mountServiceAccountToken,
    security: p.security,
    restartPolicy: 'Never',
    affinity: access.affinity,
    volumes: [
      ...access.volumes,
      { name: 'program', configMap: { name: nameOf(files.program), defaultMode: '0444' } },
      { name: 'config', configMap: { name: files.config.metadata.name, defaultMode: '0444' } },
    ],
    containers: [
      {
        name: CONTAINER,
        image: p.image,
        command: ['python', `${PROGRAM_DIR}/drift_check.py`],
        args: ['--config', `${CONFIG_DIR}/config.json`],
        env,
        resources: p.resources,
        volumeMounts: [
          ...access.volumeMounts,
          { name: 'program', mountPath: PROGRAM_DIR, readOnly: true },
          { name: 'config', mountPath: CONFIG_DIR, readOnly: true },
        ],
        // S3 objects are staged in /tmp while they are sampled.
        writablePaths: ['/tmp'],
      },
    ],
  }, o.workload, o.at));
}
