import { Construct } from 'constructs';
import { z } from 'zod';
import { fail } from '../core/errors';
import type { ModelDeployment, ModelDeploymentProps } from '../serving/model-deployment';
import type { TrainingJob, TrainingJobProps } from '../training/training-job';
import type { DriftMonitor, DriftMonitorProps } from '../drift/drift-monitor';
import type { TrackingServer, TrackingServerProps } from '../tracking/tracking-server';

/**
 * How the platform builds one of its parts: a class (a subclass of the library's, e.g.
 * `class AcmeModel extends ModelDeployment`), or a function that builds one.
 */
export type ConstructFactory<P, T> = (new (scope: Construct, id: string, props: P) => T) | ((scope: Construct, id: string, props: P) => T);

/** The classes (or factories) {@link MlopsPlatform} builds its parts with. */
export interface PlatformConstructs<
  M extends ModelDeployment = ModelDeployment,
  J extends TrainingJob = TrainingJob,
  D extends DriftMonitor = DriftMonitor,
  S extends TrackingServer = TrackingServer,
> {
  /** Built by `addModel` and the `models` prop. @default ModelDeployment */
  readonly model?: ConstructFactory<ModelDeploymentProps, M>;
  /** Built by `addTrainingJob` and the `trainingJobs` prop. @default TrainingJob */
  readonly trainingJob?: ConstructFactory<TrainingJobProps, J>;
  /** Built by `addDriftMonitor`. @default DriftMonitor */
  readonly driftMonitor?: ConstructFactory<DriftMonitorProps, D>;
  /** The platform's tracking server. @default TrackingServer */
  readonly trackingServer?: ConstructFactory<TrackingServerProps, S>;
}

/** @internal */
export const constructFactory = z.custom<ConstructFactory<unknown, unknown>>((v) => typeof v === 'function', {
  message: 'must be a class extending the library\'s (e.g. class AcmeModel extends ModelDeployment) or a function (scope, id, props) => construct',
});

const isClass = (f: Function) => f.prototype instanceof Construct || /^class\b/.test(Function.prototype.toString.call(f));

/**
 * Builds a part with `factory` (or `base` when none is given) and checks that the result is a
 * `base`: a factory returning something else is a ValidationError naming `prop`, not a crash later.
 */
export function buildWith<P, T extends Construct>(
  factory: ConstructFactory<P, T> | undefined,
  base: abstract new (...args: never[]) => Construct,
  scope: Construct,
  id: string,
  prop: string,
  props: P,
): T {
  const f = (factory ?? base) as Function;
  const built: unknown = isClass(f)
    ? new (f as new (s: Construct, i: string, p: P) => unknown)(scope, id, props)
    : (f as (s: Construct, i: string, p: P) => unknown)(scope, id, props);
  if (!(built instanceof base)) {
    const got = built === null || typeof built !== 'object' ? JSON.stringify(built) ?? String(built) : `an instance of ${(built as object).constructor?.name ?? 'Object'}`;
    fail(scope.node.path, prop, `built ${got}; it must build a ${base.name} (or a subclass of it) with the scope, id and props it is given`);
  }
  if (built.node.scope !== scope || built.node.id !== id) {
    fail(scope.node.path, prop, `built ${built.node.path}; build it in the scope and with the id the platform passes (${scope.node.path}/${id}), so its Terraform addresses stay stable`);
  }
  return built as T;
}
