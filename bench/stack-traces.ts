/**
 * What both sides of the fleet comparison spend on cdktf's stack traces: every output reference a
 * provider class builds in its constructor, and every token, captures a full stack trace, which
 * Node source-maps frame by frame under tsx (how cdktf.json runs apps). Counted, not timed: the
 * counting wraps `Error.captureStackTrace`, so this runs apart from the timed runs. It prints the
 * captures per model and their frames on each side, the part of the time that the library shares
 * with the minimal-props baseline.
 */
import { Testing } from '../lib/core/cdktf';
import { fleetApp, rawApp } from './fleet';

const MODELS = 20;
const capture = Error.captureStackTrace;
let counting = false;
let captures = 0;
let frames = 0;
Error.captureStackTrace = function (target: object, below?: Function) {
  if (counting) {
    captures++;
    const probe: { stack?: unknown } = {};
    const [limit, prepare] = [Error.stackTraceLimit, Error.prepareStackTrace];
    Error.stackTraceLimit = Infinity;
    Error.prepareStackTrace = (_e, trace) => trace.length;
    capture(probe, below);
    frames += probe.stack as number;
    [Error.stackTraceLimit, Error.prepareStackTrace] = [limit, prepare];
  }
  return capture(target, below);
};

/** Captures and frames per model while `build` constructs a fleet of {@link MODELS}. */
function count<T>(build: () => T): { result: T; perModel: number; frames: number } {
  [captures, frames, counting] = [0, 0, true];
  try {
    const result = build();
    return { result, perModel: captures / MODELS, frames: frames / captures };
  } finally {
    counting = false;
  }
}

fleetApp(1); // modules loaded outside the count
const lib = count(() => fleetApp(MODELS));
const raw = count(() => rawApp(JSON.parse(Testing.synth(lib.result.stack))));
console.log(
  `stack traces cdktf captures while constructing (${MODELS} models): library ${lib.perModel.toFixed(0)} per model of ${lib.frames.toFixed(1)} frames each, ` +
    `raw ${raw.perModel.toFixed(0)} per model of ${raw.frames.toFixed(1)} frames each (${((lib.perModel * lib.frames) / (raw.perModel * raw.frames)).toFixed(2)}x the frames)`,
);
