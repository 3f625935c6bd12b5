import { describe, expect, it } from 'vitest';
import { cronPeriodSeconds, cronProblem, imageProblem, parseDuration, parseMemory, formatDuration } from '../../lib/core/validators';
import { k8sName, memoryQuantity, cpuQuantity, imageRef, ianaTimeZone } from '../../lib/core/validators';
import { cronSchedule } from '../../lib/core/cron';

/** A small seeded generator, so property tests are repeatable. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}
const pick = <T>(r: () => number, xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;

describe('k8sName', () => {
  it.each(['mlops', 'mlops-prod', 'a', 'a1', '1a', 'x'.repeat(63)])('accepts %s', (v) => {
    expect(k8sName.safeParse(v).success).toBe(true);
  });
  it.each(['MLOps_Prod', 'mlops_prod', '-mlops', 'mlops-', '', 'x'.repeat(64), 'ml.ops', 'mlöps'])('rejects %s', (v) => {
    expect(k8sName.safeParse(v).success).toBe(false);
  });
  it('property: accepts exactly lowercase alnum/hyphen labels with alnum ends, <= 63 chars', () => {
    const r = rng(7);
    const alphabet = 'abcz09-_A.';
    for (let i = 0; i < 2000; i++) {
      const len = 1 + Math.floor(r() * 70);
      const v = Array.from({ length: len }, () => pick(r, alphabet.split(''))).join('');
      const expected = len <= 63 && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(v);
      expect(k8sName.safeParse(v).success, v).toBe(expected);
    }
  });
});

describe('quantities', () => {
  it.each(['512Mi', '1Gi', '2G', '1000', '1.5Gi', '64Ki'])('memory accepts %s', (v) => expect(memoryQuantity.safeParse(v).success).toBe(true));
  it.each(['1GB', '1gi', 'Gi', '-1Gi', '0', '0Mi', '1 Gi', ''])('memory rejects %s', (v) => expect(memoryQuantity.safeParse(v).success).toBe(false));
  it.each(['1', '0.5', '500m', '2', '100m'])('cpu accepts %s', (v) => expect(cpuQuantity.safeParse(v).success).toBe(true));
  it.each(['0', '0m', '1.5m', 'one', '-1', '500M', ''])('cpu rejects %s', (v) => expect(cpuQuantity.safeParse(v).success).toBe(false));
  it('parses binary and decimal suffixes', () => {
    expect(parseMemory('1Gi')).toBe(2 ** 30);
    expect(parseMemory('1G')).toBe(1e9);
    expect(parseMemory('512Mi')).toBe(512 * 2 ** 20);
  });
});

describe('cron schedules', () => {
  it.each(['0 0 * * 0', '*/15 * * * *', '0 2 * * 1-5', '30 3 1 JAN,JUL *', '0 0 * * SUN', '@daily', '@weekly', '0 0 1-7 * *', '5,35 */2 * * *'])(
    'accepts %s',
    (v) => expect(cronProblem(v)).toBeUndefined(),
  );
  it.each([
    ['0 0 * * 0 2026', /6 fields/],
    ['0 0 * *', /4 fields/],
    ['every monday', /2 fields/],
    ['60 0 * * *', /minute.*outside 0-59/],
    ['0 24 * * *', /hour.*outside 0-23/],
    ['0 0 0 * *', /day of month.*outside 1-31/],
    ['0 0 * 13 *', /month.*outside 1-12/],
    ['0 0 * * 8', /day of week.*outside 0-6/],
    ['0 0 * * 7', /day of week.*outside 0-6 \(Sunday is 0 or SUN\)/],
    ['0 0 31 4 *', /matches no date/],
    ['*/0 * * * *', /invalid step/],
    ['0 5-2 * * *', /reversed range/],
    ['CRON_TZ=UTC 0 0 * * *', /timeZone/],
    ['@fortnightly', /fields/],
  ])('rejects %s', (v, why) => {
    expect(cronProblem(v)).toMatch(why);
    expect(cronSchedule.safeParse(v).success).toBe(false);
  });
  it('computes the longest gap between runs', () => {
    expect(cronPeriodSeconds('0 0 * * 0')).toBe(7 * 86400);
    expect(cronPeriodSeconds('@daily')).toBe(86400);
    expect(cronPeriodSeconds('*/15 * * * *')).toBe(900);
    expect(cronPeriodSeconds('0 2 * * 1-5')).toBe(3 * 86400); // Friday 02:00 to Monday 02:00
    expect(cronPeriodSeconds('30 9,17 * * *')).toBe(16 * 3600); // 17:30 to 09:30 the next day
    expect(cronPeriodSeconds('0 0 1 * *')).toBe(31 * 86400);
    expect(cronPeriodSeconds('0 0 31 * *')).toBe(61 * 86400); // 31 Mar to 31 May (months without a 31st are skipped)
    expect(cronPeriodSeconds('0 6 1 * 1')).toBe(7 * 86400); // day of month OR day of week
  });
  it('computes the period without walking every minute', () => {
    // Each schedule once per training job and drift monitor: a fleet of 1,000 needs 2,000 calls.
    const start = performance.now();
    for (let i = 0; i < 2000; i++) cronPeriodSeconds('*/5 1-3 * * 1-5');
    expect(performance.now() - start).toBeLessThan(5000);
  });
});

describe('image references', () => {
  it.each([
    'ghcr.io/mlflow/mlflow:v3.17.0-full',
    'postgres:17.6',
    'registry.example.com:5000/team/model:1.2.3',
    'localhost:5000/x:dev',
    'busybox@sha256:' + 'a'.repeat(64),
    'busybox:latest@sha256:' + 'b'.repeat(64),
  ])('accepts %s', (v) => expect(imageProblem(v)).toBeUndefined());
  it('rejects an image without a tag', () => expect(imageProblem('ghcr.io/mlflow/mlflow')).toMatch(/no tag/));
  it('rejects :latest', () => expect(imageProblem('ghcr.io/mlflow/mlflow:latest')).toMatch(/latest/));
  it.each(['Ghcr.io/UPPER/Repo:1', 'repo:', 'repo:tag with space', ''])('rejects malformed %s', (v) => expect(imageRef.safeParse(v).success).toBe(false));
});

describe('durations', () => {
  it('parses and formats', () => {
    expect(parseDuration('1h30m')).toBe(5400);
    expect(parseDuration('15d')).toBe(15 * 86400);
    expect(parseDuration('1GB')).toBeNaN();
    expect(formatDuration(3600)).toBe('1h');
    expect(formatDuration(90)).toBe('90s');
    expect(formatDuration(172800)).toBe('2d');
  });
});

describe('time zones', () => {
  it.each(['UTC', 'EST', 'Europe/Berlin', 'America/Argentina/Buenos_Aires', 'Etc/GMT+2'])('accepts %s', (v) => {
    expect(ianaTimeZone.safeParse(v).success).toBe(true);
  });
  it.each(['CET+1 nonsense', '/Europe/Berlin', 'Europe/', '', 'Europe Berlin'])('rejects %s', (v) => {
    expect(ianaTimeZone.safeParse(v).success).toBe(false);
  });
});
