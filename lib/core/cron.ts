import { z } from 'zod';

/*
 * Cron schedules as Kubernetes CronJobs take them (5 fields or a macro), the
 * "H" spread that the library turns into concrete fields per CronJob, and the
 * period between runs that "missed run" alerts are built on.
 */

const CRON_MACROS = ['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly'];
const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];
interface CronField {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly names?: string[];
  /** Highest value a bare `H` picks: a day every month has, a weekday once (0-6, not 7). */
  readonly spreadMax: number;
}
const CRON_FIELDS: CronField[] = [
  { name: 'minute', min: 0, max: 59, spreadMax: 59 },
  { name: 'hour', min: 0, max: 23, spreadMax: 23 },
  { name: 'day of month', min: 1, max: 31, spreadMax: 28 },
  { name: 'month', min: 1, max: 12, names: MONTHS, spreadMax: 12 },
  // 0-6 as the Kubernetes parser (robfig/cron v3) takes it: it refuses 7, which some crons read as Sunday.
  { name: 'day of week', min: 0, max: 6, names: DAYS, spreadMax: 6 },
];

/** `H`, `H(a-b)`, `H/n`, `H(a-b)/n`. */
const SPREAD = /^H(?:\((\d+)-(\d+)\))?(?:\/(\d+))?$/;

/** How the schedule's fields may be written. */
export interface CronSyntax {
  /** Accept `H` fields (a value spread by name, see {@link spreadSchedule}); only the library's CronJobs take them. */
  readonly spread?: boolean;
}

/** Returns why a cron expression is invalid, or undefined when it is valid for a Kubernetes CronJob. */
export function cronProblem(expr: string, syntax: CronSyntax = {}): string | undefined {
  const trimmed = expr.trim();
  if (CRON_MACROS.includes(trimmed)) return undefined;
  if (/^(CRON_)?TZ=/.test(trimmed)) return 'time zones are not allowed in the schedule; use the timeZone prop';
  const fields = trimmed.split(/\s+/);
  if (fields.length !== 5) {
    return `has ${fields.length} fields; a Kubernetes CronJob takes 5 (minute hour day-of-month month day-of-week), e.g. "0 0 * * 0", or a macro such as "@daily"`;
  }
  for (let i = 0; i < 5; i++) {
    const problem = cronFieldProblem(fields[i]!, CRON_FIELDS[i]!, syntax);
    if (problem) return problem;
  }
  return neverRunsProblem(fields);
}

/**
 * A schedule whose days never come (the 31st of April, the 30th of February) is valid
 * syntax to Kubernetes, and the CronJob never runs. A spread day of month is checked for
 * every value it can pick.
 */
function neverRunsProblem(fields: string[]): string | undefined {
  const [, , dom, mon, dow] = fields as [string, string, string, string, string];
  const parts = dom.split(',');
  const fixed = parts.filter((part) => !SPREAD.test(part));
  // Each spread part with each value it can become, beside the fixed parts only: another spread part
  // can only add days, so a pick that comes this way comes with any pick of the others.
  const variants = fixed.length === parts.length ? [dom] : parts.flatMap((part) => {
    const m = SPREAD.exec(part);
    return m ? spreadChoices(m, CRON_FIELDS[2]!).map((choice) => [...fixed, choice].join(',')) : [];
  });
  // Minute and hour do not decide whether a day comes; only the date fields are walked.
  const concrete = (f: string) => spreadSchedule(f, '');
  for (const days of variants) {
    if (!runsOnSomeDay(days, concrete(mon), concrete(dow))) {
      return `matches no date: day of month "${days}" never comes in month "${mon}"; pick days that every chosen month has`;
    }
  }
  return undefined;
}

/** The number a field's token stands for (digits, or a month or weekday name), or undefined. */
function tokenValue(token: string, spec: CronField): number | undefined {
  if (/^\d+$/.test(token)) return Number(token);
  const idx = spec.names?.indexOf(token.toUpperCase()) ?? -1;
  return idx >= 0 ? idx + (spec.name === 'month' ? 1 : 0) : undefined;
}

function cronFieldProblem(field: string, spec: CronField, syntax: CronSyntax): string | undefined {
  const sunday = spec.names === DAYS ? ' (Sunday is 0 or SUN)' : '';
  const inRange = (texts: string[]): string | undefined => {
    const nums = texts.map((text) => tokenValue(text, spec));
    for (let j = 0; j < nums.length; j++) {
      const n = nums[j];
      if (n === undefined || n < spec.min || n > spec.max) return `${spec.name} field "${field}": "${texts[j]}" is outside ${spec.min}-${spec.max}${sunday}`;
    }
    if (nums.length === 2 && nums[0]! > nums[1]!) return `${spec.name} field "${field}" has a reversed range`;
    return undefined;
  };
  const stepProblem = (step: string | undefined) =>
    step !== undefined && (!/^\d+$/.test(step) || Number(step) < 1) ? `${spec.name} field "${field}" has an invalid step "${step}"` : undefined;
  for (const part of field.split(',')) {
    if (part.startsWith('H')) {
      if (!syntax.spread) return `${spec.name} field "${field}": "H" (a value spread by name) is taken by the library's CronJobs only; give a value`;
      const m = SPREAD.exec(part);
      if (!m) return `${spec.name} field "${field}": "${part}" is not a spread; write H, H(a-b), H/n or H(a-b)/n`;
      const problem = stepProblem(m[3]) ?? (m[1] !== undefined ? inRange([m[1], m[2]!]) : undefined);
      if (problem) return problem;
      continue;
    }
    const [range, step, extra] = part.split('/');
    if (extra !== undefined || range === undefined || range === '') return `${spec.name} field "${field}" is not valid`;
    const problem = stepProblem(step);
    if (problem) return problem;
    if (range === '*' || range === '?') continue;
    const bounds = range.split('-');
    if (bounds.length > 2) return `${spec.name} field "${field}" is not valid`;
    const rangeProblem = inRange(bounds);
    if (rangeProblem) return rangeProblem;
  }
  return undefined;
}

const scheduleSchema = (syntax: CronSyntax) =>
  z.string().superRefine((v, ctx) => {
    const problem = cronProblem(v, syntax);
    if (problem) ctx.addIssue({ code: 'custom', message: `is not a valid cron schedule: ${problem}` });
  });

/** A standard 5-field cron expression or macro, as Kubernetes CronJobs accept. @internal */
export const cronSchedule = scheduleSchema({});

/** A CronJob schedule of the library: {@link cronSchedule}, or with `H` fields that {@link spreadSchedule} fills in. @internal */
export const cronJobSchedule = scheduleSchema({ spread: true });

/**
 * The schedule with each `H` field replaced by a value picked from `seed` (the
 * CronJob's namespace and name), as Jenkins does: the same CronJob always gets
 * the same time, and a fleet's CronJobs with one schedule start spread over
 * the field's range instead of all at once. `H` is any value of the field (a
 * day of month 1-28, a weekday 0-6), `H(a-b)` one of a-b, `H/n` and
 * `H(a-b)/n` every n-th from a picked start. A schedule without `H` is
 * returned as it is. Valid input is assumed (see {@link cronJobSchedule}).
 */
export function spreadSchedule(expr: string, seed: string): string {
  if (!expr.includes('H')) return expr;
  return expr
    .trim()
    .split(/\s+/)
    .map((field, i) => {
      const spec = CRON_FIELDS[i]!;
      const pick = hash(`${seed}\n${i}`);
      return field
        .split(',')
        .map((part) => {
          const m = SPREAD.exec(part);
          if (!m) return part;
          const choices = spreadChoices(m, spec);
          return choices[pick % choices.length]!;
        })
        .join(',');
    })
    .join(' ');
}

/**
 * What an `H` part (matched by {@link SPREAD}) can become in its field, in order: `H` and `H(a-b)`
 * one value of the range, `H/n` and `H(a-b)/n` every n-th from one of the range's first n values.
 * {@link spreadSchedule} picks from these, and {@link cronProblem} checks every one of them.
 */
function spreadChoices(m: RegExpExecArray, spec: CronField): string[] {
  const step = m[3] !== undefined ? Number(m[3]) : undefined;
  const lo = m[1] !== undefined ? Number(m[1]) : spec.min;
  const hi = m[2] !== undefined ? Number(m[2]) : step !== undefined ? spec.max : spec.spreadMax;
  if (step === undefined) return Array.from({ length: hi - lo + 1 }, (_, k) => String(lo + k));
  return Array.from({ length: Math.min(step, hi - lo + 1) }, (_, k) => `${lo + k}-${hi}/${step}`);
}

/** 32-bit FNV-1a with a final mix, so that every bit of the seed reaches the low bits `%` reads. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

const periods = new Map<string, number>();

/**
 * The approximate period of a schedule in seconds (the longest gap between two
 * runs over a sample), used for "missed run" alerts. Remembered per expression:
 * a fleet's jobs share a handful of schedules. Give it the schedule as the
 * CronJob has it (after {@link spreadSchedule}).
 */
export function cronPeriodSeconds(expr: string): number {
  let period = periods.get(expr);
  if (period === undefined) periods.set(expr, (period = longestCronGapSeconds(spreadSchedule(expr, ''))));
  return period;
}

/**
 * The shortest time between two runs of a concrete 5-field schedule, in seconds: between two times
 * of a day, or from a day's last time to the next day's first (as if the schedule ran on
 * consecutive days, so never longer than the real one).
 */
export function cronShortestGapSeconds(expr: string): number {
  const [min, hour] = expr.trim().split(/\s+/);
  const times = timesOfDay(min!, hour!);
  let shortest = 1440 - times[times.length - 1]! + times[0]!;
  for (let i = 1; i < times.length; i++) shortest = Math.min(shortest, times[i]! - times[i - 1]!);
  return shortest * 60;
}

function longestCronGapSeconds(expr: string): number {
  const macro: Record<string, number> = {
    '@yearly': 366 * 86400, '@annually': 366 * 86400, '@monthly': 31 * 86400,
    '@weekly': 7 * 86400, '@daily': 86400, '@midnight': 86400, '@hourly': 3600,
  };
  const t = expr.trim();
  if (macro[t]) return macro[t]!;
  const [min, hour, dom, mon, dow] = t.split(/\s+/);
  // The times of day that match are the same on every matching day, so walk the days:
  // the longest gap is the longest within a day or the one from a matching day's last time to the next one's first.
  const times = timesOfDay(min!, hour!);
  if (!times.length) return 0;
  let longest = 0;
  for (let i = 1; i < times.length; i++) longest = Math.max(longest, times[i]! - times[i - 1]!);
  const days = dateGaps(dom!, mon!, dow!);
  if (days.matching === 0) return 0; // never runs (refused by cronProblem)
  if (days.longestGap > 0) longest = Math.max(longest, days.longestGap * 1440 + times[0]! - times[times.length - 1]!);
  return longest * 60;
}

const gapsByDates = new Map<string, { matching: number; longestGap: number }>();

/**
 * How many days of the window the date fields match, and the longest gap in days between two
 * of them. Remembered per date fields: spread schedules differ in minute and hour only.
 */
function dateGaps(dom: string, mon: string, dow: string): { matching: number; longestGap: number } {
  const key = `${dom} ${mon} ${dow}`;
  let gaps = gapsByDates.get(key);
  if (!gaps) {
    let matching = 0, longestGap = 0, last: number | undefined;
    for (const day of matchingDays(dom, mon, dow)) {
      if (last !== undefined) longestGap = Math.max(longestGap, day - last);
      last = day;
      matching++;
    }
    gapsByDates.set(key, (gaps = { matching, longestGap }));
  }
  return gaps;
}

/** The minutes of the day (0-1439) a concrete schedule's minute and hour fields match, in order. */
function timesOfDay(minute: string, hour: string): number[] {
  const sorted = (field: string, spec: CronField) => [...fieldValues(field, spec)].sort((a, b) => a - b);
  const minutes = sorted(minute, CRON_FIELDS[0]!);
  return sorted(hour, CRON_FIELDS[1]!).flatMap((h) => minutes.map((m) => h * 60 + m));
}

/** The values a concrete field matches. */
function fieldValues(field: string, spec: CronField): Set<number> {
  const allowed = new Set<number>();
  for (const part of field.split(',')) {
    const [range, stepText] = part.split('/');
    const step = stepText ? Number(stepText) : 1;
    let lo = spec.min, hi = spec.max;
    if (range !== '*' && range !== '?') {
      const b = range!.split('-').map((x) => tokenValue(x, spec)!);
      lo = b[0]!;
      hi = b.length === 2 ? b[1]! : stepText ? spec.max : lo;
    }
    for (let n = lo; n <= hi; n += step) allowed.add(n);
  }
  return allowed;
}

/** First day (UTC, days since 1970) of the walked window: eight years, two leap days (2028, 2032). */
const WINDOW_START = Date.UTC(2025, 0, 1) / 86400e3;
const WINDOW_DAYS = Date.UTC(2033, 0, 1) / 86400e3 - WINDOW_START;

/**
 * Whether the parser marks a field as unrestricted: a `*` or `?` part without a step above 1
 * (`*` and `*\/1` are, `*\/2` is not, and `*,5` is).
 */
function starred(field: string): boolean {
  return field.split(',').some((part) => {
    const [range, step] = part.split('/');
    return (range === '*' || range === '?') && (step === undefined || Number(step) <= 1);
  });
}

/**
 * The days of the window that concrete date fields match. Day of month and day of week
 * are both required when either is unrestricted (see {@link starred}), and either
 * suffices when both are restricted, as the Kubernetes parser reads them.
 */
function* matchingDays(dom: string, mon: string, dow: string): Generator<number> {
  const d = fieldValues(dom, CRON_FIELDS[2]!), mo = fieldValues(mon, CRON_FIELDS[3]!), w = fieldValues(dow, CRON_FIELDS[4]!);
  const domStar = starred(dom), dowStar = starred(dow);
  for (let day = WINDOW_START; day < WINDOW_START + WINDOW_DAYS; day++) {
    const date = new Date(day * 86400e3);
    if (!mo.has(date.getUTCMonth() + 1)) continue;
    const dayOk = domStar || dowStar
      ? d.has(date.getUTCDate()) && w.has(date.getUTCDay())
      : d.has(date.getUTCDate()) || w.has(date.getUTCDay());
    if (dayOk) yield day;
  }
}

function runsOnSomeDay(dom: string, mon: string, dow: string): boolean {
  return dateGaps(dom, mon, dow).matching > 0;
}
