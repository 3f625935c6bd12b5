import type { IArtifactStore } from '../stores/artifact-store';
import { defaultMinRows, type ParsedDriftProps } from './drift-props';

/** What the config needs besides the props. */
export interface DriftConfigContext {
  readonly store: IArtifactStore;
  /** The model's namespace, a grouping label of the pushed metrics. */
  readonly namespace: string;
  /** `current` is a directory of inference logs. */
  readonly inferenceLog: boolean;
  /** Where reports go, as the pod sees it. */
  readonly reportUri: string;
  readonly pushgatewayUrl?: string;
  /** The training CronJob to re-run, with `retrain`. */
  readonly retrainCronJob?: string;
}

/** The `config.json` that drift_check.py reads (camelCase; the script's docstring lists the keys). */
export function driftCheckConfig(p: ParsedDriftProps, c: DriftConfigContext): Record<string, unknown> {
  return {
    model: p.model,
    reference: c.store.uriOf(p.reference),
    current: c.store.uriOf(p.current),
    format: p.format,
    ...(c.inferenceLog ? { windowDays: p.windowDays ?? 7 } : {}),
    features: p.features,
    psiThreshold: p.psiThreshold,
    ksPValue: p.ksPValue,
    ksStatistic: p.ksStatistic,
    chi2PValue: p.chi2PValue,
    cramersV: p.cramersV,
    driftShareThreshold: p.driftShareThreshold,
    sampleRows: p.sampleRows,
    seed: p.seed,
    bins: p.bins,
    minRows: p.minRows ?? defaultMinRows(p.bins, p.psiThreshold),
    missingShareThreshold: p.missingShareThreshold,
    newCategoryShareThreshold: p.newCategoryShareThreshold,
    reportUri: c.reportUri,
    ...(c.pushgatewayUrl ? { pushgatewayUrl: c.pushgatewayUrl, namespace: c.namespace } : {}),
    // The Role and the CronJob live in the pod's namespace, which the program reads from the token mount.
    ...(p.retrain ? { retrain: { afterConsecutiveRuns: p.retrain.afterConsecutiveRuns, cronJob: c.retrainCronJob } } : {}),
  };
}
