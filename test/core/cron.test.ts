import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cronJobSchedule, cronPeriodSeconds, cronProblem, cronSchedule, spreadSchedule } from '../../lib/core/cron';
import { realToolPath } from '../support/real-tools-env';
import { itWithTool, type ToolCheck } from '../support/tools';

/**
 * Schedules against the real parser: robfig/cron v3 (test/real-tools/cron-parse, built by
 * scripts/ci/real-tools.sh), which the Kubernetes API server validates CronJob schedules with and
 * the CronJob controller runs. It says which schedules Kubernetes takes, and when they run.
 */
const CRON_PARSE = realToolPath('MLOPS_CRON_PARSE') ?? '<not installed: run scripts/ci/real-tools.sh>';
const tool: ToolCheck = existsSync(CRON_PARSE) ? { available: true, reason: '' } : { available: false, reason: `${CRON_PARSE} not found; run scripts/ci/real-tools.sh` };

interface Parsed { ok: boolean; error?: string; longestGapSeconds?: number; first?: string }

/**
 * Each schedule through robfig/cron, with the longest gap between its runs from 2025 to `to` (UTC):
 * by default the eight years cronPeriodSeconds walks. Schedules that run every day repeat daily, so
 * two weeks show their longest gap, and at every few minutes the parser takes a second per eight years.
 */
function robfig(schedules: string[], to = '2033-01-01T00:00:00Z'): Parsed[] {
  const r = spawnSync(CRON_PARSE, ['-from', '2025-01-01T00:00:00Z', '-to', to], { input: schedules.join('\n') + '\n', encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`cron-parse failed: ${r.stderr}`);
  return r.stdout.trim().split('\n').map((line) => JSON.parse(line) as Parsed);
}

const ACCEPTED = [
  '0 0 * * 0', '*/15 * * * *', '0 2 * * 1-5', '30 3 1 JAN,JUL *', '0 0 * * SUN', '0 0 * * sun', '0 0 * jan *', '0 0 1-7 * *',
  '5,35 */2 * * *', '*/1 * * * *', '0 0 1,15 * MON-FRI', '0 0 ? * *', '5-10/2 * * * *', '0 */6 * * *', '0 0 29 2 *',
  '0 0 1 */2 *', '0 0 */10 * *', '0 0 * * */2', '7/15 * * * *', '0-59/60 * * * *', '0 0 31 * *', '0 6 1 * 1', ' 0 0 * * *',
  // Day of month and day of week: both must match when either is unrestricted (* or */1, also in a list), either otherwise.
  '0 0 */2 * 1', '0 0 */1 * 1', '0 0 *,5 * 1', '0 0 13 * */1', '0 0 13 * */2',
  '@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly',
];
/** Refused by both: what Kubernetes refuses, we refuse. */
const REFUSED = [
  '0 0 * * 7', '0 0 * * 5-7', '0 0 * * 0-7', '0 0 * * 8', '0 0 L * *', '0 0 1W * *', '0 0 * * 0 2026', '0 0 * *', 'every monday',
  '60 0 * * *', '0 24 * * *', '0 0 0 * *', '0 0 * 13 *', '*/0 * * * *', '0 5-2 * * *', '@fortnightly', '1-2-3 * * * *',
  '*/2/3 * * * *', 'jan * * * *', '0 0 * * 6-0', '-1 * * * *', 'H 2 * * *',
];
/** Taken by the parser, refused by us on purpose, each for the reason given. */
const STRICTER: [string, RegExp][] = [
  ['TZ=UTC 0 0 * * *', /timeZone/], // the API server refuses TZ= itself; the parser alone takes it
  ['CRON_TZ=UTC 0 0 * * *', /timeZone/],
  ['@every 5m', /5 \(minute/], // not in the Kubernetes documentation's syntax; a cron schedule says it as */5
  ['1,2, * * * *', /not valid/], // an empty list element is a typo
  ['0 0 31 4 *', /matches no date/], // parses, and the CronJob never runs
  ['0 0 30 2 *', /matches no date/],
];

describe('cron schedules, checked by the Kubernetes parser (robfig/cron v3)', () => {
  itWithTool(tool, 'what we accept, Kubernetes accepts; what it refuses, we refuse', () => {
    const all = [...ACCEPTED, ...REFUSED, ...STRICTER.map(([s]) => s)];
    const real = robfig(all, '2025-01-02T00:00:00Z'); // whether it parses does not depend on the window
    const mismatch = all.filter((s, i) => {
      const ours = cronProblem(s) === undefined;
      const expected = i < ACCEPTED.length ? true : i < ACCEPTED.length + REFUSED.length ? false : 'stricter';
      return expected === 'stricter' ? ours || !real[i]!.ok : ours !== expected || real[i]!.ok !== expected;
    });
    expect(mismatch).toEqual([]);
    for (const [s, why] of STRICTER) expect(cronProblem(s)).toMatch(why);
  });

  itWithTool(tool, 'the period is the longest gap between the runs Kubernetes schedules', () => {
    const everyDay = ACCEPTED.filter((s) => / \* \* \*$/.test(s.trim()) || ['@daily', '@midnight', '@hourly'].includes(s));
    const others = ACCEPTED.filter((s) => !everyDay.includes(s));
    const real = new Map([...zip(everyDay, robfig(everyDay, '2025-01-15T00:00:00Z')), ...zip(others, robfig(others))]);
    expect(ACCEPTED.map((s) => [s, cronPeriodSeconds(s)])).toEqual(ACCEPTED.map((s) => [s, real.get(s)!.longestGapSeconds]));
  });

  itWithTool(tool, 'every spread schedule is one Kubernetes takes, run when and as often as the form says', () => {
    const daily = ['H 2 * * *', 'H H(0-5) * * *', 'H/15 * * * *', 'H(10-20)/4 * * * *', 'H(0-29),H(30-59) * * * *'];
    const forms = [...daily, 'H H H * *', 'H H * * H', 'H 3 * * 0', 'H H H(1-31) * *', 'H H H/10 4 *'];
    const cases = forms.flatMap((form) => Array.from({ length: 30 }, (_, i) => ({ form, seed: `fleet/model-${i}`, schedule: spreadSchedule(form, `fleet/model-${i}`) })));
    const everyDay = cases.filter((c) => daily.includes(c.form));
    const others = cases.filter((c) => !daily.includes(c.form));
    const byCase = new Map([...zip(everyDay, robfig(everyDay.map((c) => c.schedule), '2025-01-15T00:00:00Z')), ...zip(others, robfig(others.map((c) => c.schedule)))]);
    const real = cases.map((c) => byCase.get(c)!);
    const refused = cases.filter((c, i) => !real[i]!.ok || cronProblem(c.schedule) !== undefined);
    expect(refused).toEqual([]);
    const periods = cases.map((c) => [c.schedule, cronPeriodSeconds(c.schedule)]);
    expect(periods).toEqual(cases.map((c, i) => [c.schedule, real[i]!.longestGapSeconds]));
    // 'H 2 * * *' runs daily in the 02:00 hour; 'H/15' every 15 minutes; 'H H * * H' weekly.
    const first = (form: string) => cases.map((c, i) => ({ c, r: real[i]! })).filter(({ c }) => c.form === form);
    for (const { r } of first('H 2 * * *')) expect(r.first).toMatch(/^2025-01-01T02:\d\d:00Z$/);
    for (const { r } of first('H/15 * * * *')) expect(r.longestGapSeconds).toBe(900);
    for (const { r } of first('H H * * H')) expect(r.longestGapSeconds).toBe(7 * 86400);
  });
});

describe('spread schedules (H)', () => {
  it('give one CronJob the same time on every synthesis, and a fleet of them different times', () => {
    expect(spreadSchedule('H 2 * * *', 'fleet/model-0001-drift')).toBe(spreadSchedule('H 2 * * *', 'fleet/model-0001-drift'));
    const minutes = new Map<number, number>();
    for (let i = 0; i < 1000; i++) {
      const [minute, hour, ...rest] = spreadSchedule('H 2 * * *', `fleet/model-${String(i).padStart(4, '0')}-drift`).split(' ');
      expect([hour, ...rest]).toEqual(['2', '*', '*', '*']);
      minutes.set(Number(minute), (minutes.get(Number(minute)) ?? 0) + 1);
    }
    // 1,000 daily checks over the hour's 60 minutes: every minute used, none with more than twice its share.
    expect(minutes.size).toBe(60);
    expect(Math.max(...minutes.values())).toBeLessThanOrEqual(2 * Math.ceil(1000 / 60));
  });

  it('pick within each form\'s range', () => {
    for (let i = 0; i < 300; i++) {
      const seed = `ns/job-${i}`;
      const [m, h, dom, , dow] = spreadSchedule('H H(9-17) H * H', seed).split(' ').map(Number);
      expect(m).toBeGreaterThanOrEqual(0); expect(m).toBeLessThanOrEqual(59);
      expect(h).toBeGreaterThanOrEqual(9); expect(h).toBeLessThanOrEqual(17);
      expect(dom).toBeGreaterThanOrEqual(1); expect(dom).toBeLessThanOrEqual(28); // a day every month has
      expect(dow).toBeGreaterThanOrEqual(0); expect(dow).toBeLessThanOrEqual(6);
      const [start, end, step] = /^(\d+)-(\d+)\/(\d+)$/.exec(spreadSchedule('H(10-20)/4 * * * *', seed).split(' ')[0]!)!.slice(1).map(Number);
      expect(start).toBeGreaterThanOrEqual(10); expect(start).toBeLessThanOrEqual(13);
      expect([end, step]).toEqual([20, 4]);
    }
  });

  it('are taken when every value they can pick comes, and refused when one never does', () => {
    // H/10 in day of month starts on one of the 1st to the 10th: each comes in April, though "31-31/10" would not;
    // H(30-31)/10 can start on the 31st, which April never has.
    for (const s of ['0 0 H/10 4 *', '0 0 H(1-31)/10 4 *', '0 0 H(1-10),H(20-30) 4 *']) expect(cronJobSchedule.safeParse(s).error?.issues, s).toBeUndefined();
    for (const s of ['0 0 H(30-31)/10 4 *', '0 0 H(1-10),H(25-31) 2 *']) expect(cronJobSchedule.safeParse(s).error?.issues[0]?.message, s).toMatch(/matches no date/);
  });

  it('leave a schedule without H as it is', () => {
    for (const s of ['0 2 * * *', '@daily', '*/10 * * * *', '0 0 * * SUN']) expect(spreadSchedule(s, 'ns/x')).toBe(s);
  });

  it.each([
    ['H(30-10) 2 * * *', /minute field "H\(30-10\)" has a reversed range/],
    ['H(0-99) 2 * * *', /minute field "H\(0-99\)": "99" is outside 0-59/],
    ['H/0 2 * * *', /minute field "H\/0" has an invalid step "0"/],
    ['HH 2 * * *', /"HH" is not a spread; write H, H\(a-b\), H\/n or H\(a-b\)\/n/],
    ['H-5 2 * * *', /"H-5" is not a spread/],
    ['0 0 H(29-31) 2 *', /matches no date: day of month "30" never comes in month "2"/],
    ['0 0 * * H(0-7)', /day of week field "H\(0-7\)": "7" is outside 0-6 \(Sunday is 0 or SUN\)/],
  ])('refuse %j, saying why', (schedule, why) => {
    const r = cronJobSchedule.safeParse(schedule);
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.message).toMatch(why);
  });

  it('are for the library\'s CronJobs only: a plain cron schedule (a GitHub Actions workflow) refuses H', () => {
    expect(cronSchedule.safeParse('H 2 * * *').error?.issues[0]?.message).toMatch(/"H" \(a value spread by name\) is taken by the library's CronJobs only/);
    expect(cronJobSchedule.safeParse('H 2 * * *').success).toBe(true);
  });
});

function zip<A, B>(a: A[], b: B[]): [A, B][] {
  return a.map((x, i) => [x, b[i]!]);
}
