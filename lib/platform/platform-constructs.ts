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

/** What a function factory returned when it is not an object, which `new` would replace by `this`. */
class NotAnObject {
  public constructor(public readonly value: unknown) {}
}

/**
 * `factory` (or `base` when none is given) as a class, which the platform builds a part with by calling
 * `new` itself and then checks with {@link checkBuilt}: a class as it is, a function wrapped in one.
 *
 * A helper that built the part would stand between the platform and every resource in it: cdktf captures
 * the whole call stack for each output reference a provider class builds (about 170 per fleet model),
 * formatting every frame (source-mapped under tsx) and keeping it in memory, and such a helper was one
 * of the about 26 frames in each (the heap after constructing a fleet: 568 KiB per model with it, 550 without).
 */
export function partClass<P>(
  factory: ConstructFactory<P, unknown> | undefined,
  base: new (scope: Construct, id: string, props: P) => Construct,
): new (scope: Construct, id: string, props: P) => unknown {
  const f = (factory ?? base) as Function;
  if (isClass(f)) return f as new (scope: Construct, id: string, props: P) => unknown;
  return function built(scope: Construct, id: string, props: P) {
    const part: unknown = (f as (s: Construct, i: string, p: P) => unknown)(scope, id, props);
    return part !== null && (typeof part === 'object' || typeof part === 'function') ? part : new NotAnObject(part);
  } as unknown as new (scope: Construct, id: string, props: P) => unknown;
}

/**
 * `built` (what a {@link partClass} built) as a `base`: anything else is a ValidationError naming `prop`,
 * not a crash later, and so is a part built in another scope or with another id.
 */
export function checkBuilt<T extends Construct>(built: unknown, base: abstract new (...args: never[]) => Construct, scope: Construct, id: string, prop: string): T {
  if (!(built instanceof base)) {
    const value = built instanceof NotAnObject ? built.value : built;
    const got = value === null || typeof value !== 'object' ? JSON.stringify(value) ?? String(value) : `an instance of ${(value as object).constructor?.name ?? 'Object'}`;
    fail(scope.node.path, prop, `built ${got}; it must build a ${base.name} (or a subclass of it) with the scope, id and props it is given`);
  }
  if (built.node.scope !== scope || built.node.id !== id) {
    fail(scope.node.path, prop, `built ${built.node.path}; build it in the scope and with the id the platform passes (${scope.node.path}/${id}), so its Terraform addresses stay stable`);
  }
  return built as T;
}
