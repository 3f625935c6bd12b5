import { z } from 'zod';
import { Token } from './cdktf';

/**
 * zod schemas for the values the library accepts from users. Each message says
 * what is allowed, with an example, because it is shown next to the bad value.
 */

const RFC1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** A Kubernetes object name that must be an RFC 1123 label (namespaces, services, most names). */
export const k8sName = z
  .string()
  .refine((v) => v.length <= 63 && RFC1123_LABEL.test(v), {
    message:
      'must be an RFC 1123 label: lowercase letters, digits and "-", starting and ending with a letter or digit, at most 63 characters (e.g. "mlops-prod")',
  });

/** A name that is used as a prefix of generated names, so it leaves room for suffixes. */
export const k8sNamePrefix = z
  .string()
  .refine((v) => v.length <= 40 && RFC1123_LABEL.test(v), {
    message:
      'must be an RFC 1123 label of at most 40 characters (suffixes are added to it): lowercase letters, digits and "-" (e.g. "churn-model")',
  });

const CPU = /^(?:\d+(?:\.\d{1,3})?|\d+m)$/;
/** CPU quantity: cores (`1`, `0.5`) or millicores (`500m`). */
export const cpuQuantity = z.string().refine((v) => CPU.test(v) && parseCpu(v) > 0, {
  message: 'must be a Kubernetes CPU quantity greater than 0, in cores ("1", "0.5") or millicores ("500m")',
});

const MEMORY = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$/;
/** Memory or storage quantity (`512Mi`, `2Gi`). `1GB` is not a Kubernetes quantity. */
export const memoryQuantity = z.string().refine((v) => MEMORY.test(v) && parseMemory(v) > 0, {
  message:
    'must be a Kubernetes quantity greater than 0 such as "512Mi" or "2Gi" (binary suffixes Ki, Mi, Gi, Ti; decimal k, M, G, T; "1GB" and "1gi" are not quantities)',
});

/** Cores as a number, from a validated CPU quantity. */
export function parseCpu(v: string): number {
  return v.endsWith('m') ? Number(v.slice(0, -1)) / 1000 : Number(v);
}

const MEMORY_FACTORS: Record<string, number> = {
  '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
};
/** Bytes, from a validated memory quantity. */
export function parseMemory(v: string): number {
  const m = MEMORY.exec(v);
  if (!m) return NaN;
  return Number(m[1]) * MEMORY_FACTORS[m[2] ?? '']!;
}

/** A positive whole number, e.g. replicas. */
export const positiveInt = z.number().int({ message: 'must be a whole number' }).min(1, { message: 'must be at least 1' });
export const nonNegativeInt = z.number().int({ message: 'must be a whole number' }).min(0, { message: 'must be 0 or more' });

// ---- cron ------------------------------------------------------------------

const CRON_MACROS = ['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly'];
const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];
const CRON_FIELDS: { name: string; min: number; max: number; names?: string[] }[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTHS },
  { name: 'day of week', min: 0, max: 7, names: DAYS },
];

/** Returns why a cron expression is invalid, or undefined when it is valid for a Kubernetes CronJob. */
export function cronProblem(expr: string): string | undefined {
  const trimmed = expr.trim();
  if (CRON_MACROS.includes(trimmed)) return undefined;
  if (/^(CRON_)?TZ=/.test(trimmed)) return 'time zones are not allowed in the schedule; use the timeZone prop';
  const fields = trimmed.split(/\s+/);
  if (fields.length !== 5) {
    return `has ${fields.length} fields; a Kubernetes CronJob takes 5 (minute hour day-of-month month day-of-week), e.g. "0 0 * * 0", or a macro such as "@daily"`;
  }
  for (let i = 0; i < 5; i++) {
    const problem = cronFieldProblem(fields[i]!, CRON_FIELDS[i]!);
    if (problem) return problem;
  }
  return undefined;
}

function cronFieldProblem(field: string, spec: (typeof CRON_FIELDS)[number]): string | undefined {
  const value = (token: string): number | undefined => {
    if (/^\d+$/.test(token)) return Number(token);
    const idx = spec.names?.indexOf(token.toUpperCase()) ?? -1;
    if (idx >= 0) return idx + (spec.name === 'month' ? 1 : 0);
    return undefined;
  };
  for (const part of field.split(',')) {
    const [range, step, extra] = part.split('/');
    if (extra !== undefined || range === undefined || range === '') return `${spec.name} field "${field}" is not valid`;
    if (step !== undefined && (!/^\d+$/.test(step) || Number(step) < 1)) {
      return `${spec.name} field "${field}" has an invalid step "${step}"`;
    }
    if (range === '*' || range === '?') continue;
    const bounds = range.split('-');
    if (bounds.length > 2) return `${spec.name} field "${field}" is not valid`;
    const nums = bounds.map(value);
    for (let j = 0; j < nums.length; j++) {
      const n = nums[j];
      if (n === undefined || n < spec.min || n > spec.max) {
        return `${spec.name} field "${field}": "${bounds[j]}" is outside ${spec.min}-${spec.max}`;
      }
    }
    if (nums.length === 2 && nums[0]! > nums[1]!) return `${spec.name} field "${field}" has a reversed range`;
  }
  return undefined;
}

/** A standard 5-field cron expression or macro, as Kubernetes CronJobs accept. */
export const cronSchedule = z.string().superRefine((v, ctx) => {
  const problem = cronProblem(v);
  if (problem) ctx.addIssue({ code: 'custom', message: `is not a valid cron schedule: ${problem}` });
});

/**
 * The approximate period of a schedule in seconds (the longest gap between two
 * runs over a sample), used for "missed run" alerts.
 */
export function cronPeriodSeconds(expr: string): number {
  const macro: Record<string, number> = {
    '@yearly': 366 * 86400, '@annually': 366 * 86400, '@monthly': 31 * 86400,
    '@weekly': 7 * 86400, '@daily': 86400, '@midnight': 86400, '@hourly': 3600,
  };
  const t = expr.trim();
  if (macro[t]) return macro[t]!;
  const [min, hour, dom, mon, dow] = t.split(/\s+/);
  const matcher = (field: string, spec: (typeof CRON_FIELDS)[number]) => {
    const allowed = new Set<number>();
    for (const part of field.split(',')) {
      const [range, stepText] = part.split('/');
      const step = stepText ? Number(stepText) : 1;
      let lo = spec.min, hi = spec.max;
      if (range !== '*' && range !== '?') {
        const b = range!.split('-').map((x) => (/^\d+$/.test(x) ? Number(x) : (spec.names!.indexOf(x.toUpperCase()) + (spec.name === 'month' ? 1 : 0))));
        lo = b[0]!;
        hi = b.length === 2 ? b[1]! : stepText ? spec.max : lo;
      }
      for (let n = lo; n <= hi; n += step) allowed.add(spec.name === 'day of week' && n === 7 ? 0 : n);
    }
    return allowed;
  };
  const m = matcher(min!, CRON_FIELDS[0]!), h = matcher(hour!, CRON_FIELDS[1]!);
  const d = matcher(dom!, CRON_FIELDS[2]!), mo = matcher(mon!, CRON_FIELDS[3]!), w = matcher(dow!, CRON_FIELDS[4]!);
  const domStar = dom === '*' || dom === '?', dowStar = dow === '*' || dow === '?';
  // The times of day that match are the same on every matching day, so walk two years (UTC) day by day:
  // the longest gap is the longest within a day or the one from a matching day's last time to the next one's first.
  const times = [...h].sort((a, b) => a - b).flatMap((hh) => [...m].sort((a, b) => a - b).map((mm) => hh * 60 + mm));
  if (!times.length) return 0;
  let longest = 0;
  for (let i = 1; i < times.length; i++) longest = Math.max(longest, times[i]! - times[i - 1]!);
  let lastDay: number | undefined;
  const startDay = Date.UTC(2025, 0, 1) / 86400e3;
  for (let day = startDay; day < startDay + 2 * 366; day++) {
    const date = new Date(day * 86400e3);
    if (!mo.has(date.getUTCMonth() + 1)) continue;
    const dayOk = domStar || dowStar
      ? d.has(date.getUTCDate()) && w.has(date.getUTCDay())
      : d.has(date.getUTCDate()) || w.has(date.getUTCDay());
    if (!dayOk) continue;
    if (lastDay !== undefined) longest = Math.max(longest, (day - lastDay) * 1440 + times[0]! - times[times.length - 1]!);
    lastDay = day;
  }
  if (lastDay === undefined) return 0; // never runs in the window
  return longest * 60;
}

// ---- images ----------------------------------------------------------------

const IMAGE =
  /^(?:(?<registry>(?:[a-zA-Z0-9-]+\.)+[a-zA-Z0-9-]+(?::\d+)?|localhost(?::\d+)?|[a-zA-Z0-9-]+:\d+)\/)?(?<path>[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*)(?::(?<tag>[\w][\w.-]{0,127}))?(?:@(?<digest>sha256:[a-f0-9]{64}))?$/;

/** Returns why an image reference is not pinned, or undefined when it is. */
export function imageProblem(ref: string): string | undefined {
  const m = IMAGE.exec(ref);
  if (!m?.groups) return 'is not a valid image reference (expected registry/repository:tag or repository@sha256:<digest>)';
  const { tag, digest } = m.groups;
  if (!tag && !digest) return 'has no tag: pin a version (e.g. "ghcr.io/mlflow/mlflow:v3.1.1") or a digest, so every node runs the same image';
  if (tag === 'latest' && !digest) return 'uses ":latest": pin a version or a digest, so every node runs the same image';
  return undefined;
}

/** A container image pinned by tag (not `latest`) or digest. */
export const imageRef = z.string().superRefine((v, ctx) => {
  const problem = imageProblem(v);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

// ---- durations -------------------------------------------------------------

const DURATION_UNITS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400, w: 604800, y: 31536000 };
const DURATION = /^(?:\d+(?:ms|s|m|h|d|w|y))+$/;

/** Seconds in a Prometheus-style duration (`90s`, `5m`, `1h30m`, `15d`). */
export function parseDuration(v: string): number {
  if (!DURATION.test(v)) return NaN;
  let total = 0;
  for (const m of v.matchAll(/(\d+)(ms|s|m|h|d|w|y)/g)) total += Number(m[1]) * DURATION_UNITS[m[2]!]!;
  return total;
}

/** A duration such as `30s`, `5m`, `1h30m`, `2d` (units ms, s, m, h, d, w, y). */
export const duration = z.string().refine((v) => parseDuration(v) > 0, {
  message: 'must be a duration greater than 0 such as "30s", "5m", "1h30m" or "2d" (units ms, s, m, h, d, w, y)',
});

/** Formats seconds as the largest exact Prometheus duration unit (`3600` -> `1h`). */
export function formatDuration(seconds: number): string {
  for (const [unit, size] of [['w', 604800], ['d', 86400], ['h', 3600], ['m', 60]] as const) {
    if (seconds >= size && seconds % size === 0) return `${seconds / size}${unit}`;
  }
  return `${Math.round(seconds)}s`;
}

/**
 * A time-zone database name for a CronJob's `timeZone` (`UTC`, `Europe/Berlin`,
 * `America/Argentina/Buenos_Aires`, `EST`); Kubernetes rejects names it cannot load.
 */
export const ianaTimeZone = z.string().regex(/^[A-Za-z][A-Za-z0-9_+-]*(?:\/[A-Za-z0-9_+-]+)*$/, {
  message: 'must be a time-zone database name such as "UTC" or "Europe/Berlin"',
});

/** Environment variable names as Kubernetes accepts them. */
export const envVarName = z.string().regex(/^[-._a-zA-Z][-._a-zA-Z0-9]*$/, {
  message: 'must be an environment variable name: letters, digits, "_", "-" and ".", not starting with a digit',
});

/** A reference to a key of an existing Kubernetes Secret. */
export const secretKeyRef = z.strictObject({ name: k8sName, key: z.string().min(1) });

/** A Kubernetes name, or a token that resolves to one at apply time (e.g. `MlopsNamespace.name`). */
export const k8sNameOrToken = z.union([z.string().refine((v) => Token.isUnresolved(v)), k8sName], {
  message: 'must be an RFC 1123 label such as "mlops" (or a token resolving to one)',
});
