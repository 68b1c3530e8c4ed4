import { PulseError } from '@pulse/core';

import type { TimeRangePreset } from './vocabulary.ts';

export { type TimeRangePreset, timeRangePresets } from './vocabulary.ts';

export type TimeRangeInput = { from: string; to: string } | { preset: TimeRangePreset };

export interface ResolvedRange {
  /** Inclusive start and exclusive end, as UTC instants. */
  from: Date;
  to: Date;
}

const wallPattern = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?$/;

export function assertTimeZone(timeZone: string): void {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
  } catch {
    throw new PulseError('INVALID_QUERY', `unknown time zone "${timeZone}"`, {
      hint: 'use an IANA name such as "UTC", "Europe/Berlin" or "America/New_York"',
    });
  }
}

/** The time zone's offset from UTC at `ms`, in milliseconds. */
export function zoneOffset(ms: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(new Date(ms));
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  const asUtc = Date.UTC(
    get('year'),
    get('month') - 1,
    get('day'),
    get('hour'),
    get('minute'),
    get('second'),
  );
  return asUtc - Math.floor(ms / 1000) * 1000;
}

/** The UTC instant of a wall-clock time in `timeZone` (the earlier one when a DST change repeats it). */
export function zonedTime(
  timeZone: string,
  year: number,
  month: number,
  day: number,
  hour = 0,
  minute = 0,
  second = 0,
): number {
  const wall = Date.UTC(year, month - 1, day, hour, minute, second);
  let guess = wall - zoneOffset(wall, timeZone);
  const corrected = wall - zoneOffset(guess, timeZone);
  if (corrected !== guess) guess = corrected;
  return guess;
}

/** The wall-clock calendar fields of `ms` in `timeZone`. */
export function wallClock(ms: number, timeZone: string) {
  const d = new Date(ms + zoneOffset(ms, timeZone));
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    weekday: (d.getUTCDay() + 6) % 7, // 0 = Monday
    hour: d.getUTCHours(),
  };
}

function parseInstant(value: string, timeZone: string, field: 'from' | 'to'): number {
  const wall = value.match(wallPattern);
  if (wall) {
    const [, y, mo, d, h, mi, s] = wall;
    return zonedTime(
      timeZone,
      Number(y),
      Number(mo),
      Number(d),
      Number(h ?? 0),
      Number(mi ?? 0),
      Number(s ?? 0),
    );
  }
  const ms = Date.parse(value);
  if (Number.isNaN(ms))
    throw new PulseError('INVALID_QUERY', `timeRange.${field} "${value}" is not a date or time`, {
      hint: 'use "2026-11-01", "2026-11-01T09:00" (in the query time zone) or an ISO instant with Z or an offset',
    });
  return ms;
}

export function resolveTimeRange(
  input: TimeRangeInput,
  timeZone: string,
  now: Date = new Date(),
): ResolvedRange {
  assertTimeZone(timeZone);
  if ('from' in input) {
    const from = parseInstant(input.from, timeZone, 'from');
    const to = parseInstant(input.to, timeZone, 'to');
    if (to <= from)
      throw new PulseError('INVALID_QUERY', 'timeRange.to must be after timeRange.from', {
        context: { from: input.from, to: input.to },
      });
    return { from: new Date(from), to: new Date(to) };
  }
  const c = wallClock(now.getTime(), timeZone);
  const dayStart = (offsetDays: number) => zonedTime(timeZone, c.year, c.month, c.day + offsetDays);
  const monthStart = (offsetMonths: number) => zonedTime(timeZone, c.year, c.month + offsetMonths, 1);
  const quarterMonth = Math.floor((c.month - 1) / 3) * 3 + 1;
  const quarterStart = (offsetQuarters: number) =>
    zonedTime(timeZone, c.year, quarterMonth + offsetQuarters * 3, 1);
  const range = (from: number, to: number) => ({ from: new Date(from), to: new Date(to) });
  switch (input.preset) {
    case 'today':
      return range(dayStart(0), dayStart(1));
    case 'yesterday':
      return range(dayStart(-1), dayStart(0));
    case 'last_24_hours':
      return range(now.getTime() - 86_400_000, now.getTime());
    case 'last_7_days':
      return range(dayStart(-6), dayStart(1));
    case 'last_30_days':
      return range(dayStart(-29), dayStart(1));
    case 'last_90_days':
      return range(dayStart(-89), dayStart(1));
    case 'week_to_date':
      return range(dayStart(-c.weekday), dayStart(1));
    case 'month_to_date':
      return range(monthStart(0), dayStart(1));
    case 'quarter_to_date':
      return range(quarterStart(0), dayStart(1));
    case 'year_to_date':
      return range(zonedTime(timeZone, c.year, 1, 1), dayStart(1));
    case 'last_full_week':
      return range(dayStart(-c.weekday - 7), dayStart(-c.weekday));
    case 'last_full_month':
      return range(monthStart(-1), monthStart(0));
    case 'last_full_quarter':
      return range(quarterStart(-1), quarterStart(0));
  }
}

/** The period of the same length right before `range`, for "compared with the previous period". */
export function previousPeriod(range: ResolvedRange): ResolvedRange {
  const length = range.to.getTime() - range.from.getTime();
  return { from: new Date(range.from.getTime() - length), to: new Date(range.from.getTime()) };
}
