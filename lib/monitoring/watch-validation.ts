import { fail } from '../core/errors';
import { Token } from '../core/cdktf';
import type { WatchTarget } from '../core/observability';

/**
 * Checks a registration before it becomes rules: a wrong threshold would
 * otherwise produce an alert that never (or always) fires.
 */

const NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** A stable identity of a registration, used to refuse duplicates (they would clash in rule group names). */
export function watchKey(t: WatchTarget): string {
  switch (t.kind) {
    case 'tracking-server':
      return `tracking-server ${t.scrape.namespace}/${t.name}`;
    case 'model':
      return `model ${t.namespace}/${t.model}`;
    case 'training':
      return `training ${t.namespace}/${t.name}`;
    case 'drift':
      return `drift ${t.namespace}/${t.model}`;
  }
}

export function validateWatchTarget(path: string, t: WatchTarget): void {
  const where = `watch(${watchKey(t)})`;
  const positive = (prop: string, v: number | undefined, extra = '') => {
    if (v !== undefined && !(Number.isFinite(v) && v > 0)) fail(path, `${where}.${prop}`, `got ${v}; must be a number greater than 0${extra}`);
  };
  const name = (prop: string, v: string | undefined) => {
    // A token (e.g. a namespace resource's name) is only known at apply time.
    if (v !== undefined && !Token.isUnresolved(v) && !(v.length <= 63 && NAME.test(v))) fail(path, `${where}.${prop}`, `got ${JSON.stringify(v)}; must be an RFC 1123 label (lowercase letters, digits and "-")`);
  };
  switch (t.kind) {
    case 'tracking-server':
      name('name', t.name);
      name('scrape.namespace', t.scrape.namespace);
      break;
    case 'model':
      name('model', t.model);
      name('namespace', t.namespace);
      positive('latencyP95Seconds', t.latencyP95Seconds, ' (seconds, e.g. 0.5)');
      if (!(t.errorRatio > 0 && t.errorRatio < 1)) fail(path, `${where}.errorRatio`, `got ${t.errorRatio}; must be a share between 0 and 1, e.g. 0.01 for 1%`);
      if (!(Number.isInteger(t.minReplicas) && t.minReplicas >= 0)) fail(path, `${where}.minReplicas`, `got ${t.minReplicas}; must be a whole number, 0 or more`);
      if (!(Number.isInteger(t.maxReplicas) && t.maxReplicas >= Math.max(1, t.minReplicas))) {
        fail(path, `${where}.maxReplicas`, `got ${t.maxReplicas}; must be a whole number at least minReplicas (${t.minReplicas}) and 1`);
      }
      for (const [k, v] of Object.entries(t.metrics)) {
        if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(v)) fail(path, `${where}.metrics.${k}`, `got ${JSON.stringify(v)}; must be a Prometheus metric or label name`);
      }
      break;
    case 'training':
      name('name', t.name);
      name('namespace', t.namespace);
      if (!t.cronJobName && !t.jobName) fail(path, `${where}.cronJobName`, 'neither cronJobName nor jobName is set; set the one the training runs as');
      positive('schedulePeriodSeconds', t.schedulePeriodSeconds);
      break;
    case 'drift':
      name('model', t.model);
      name('namespace', t.namespace);
      positive('schedulePeriodSeconds', t.schedulePeriodSeconds);
      positive('sustainedForSeconds', t.sustainedForSeconds);
      break;
  }
}
