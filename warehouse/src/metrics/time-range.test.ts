import { describe, expect, it } from 'vitest';
import { previousPeriod, resolveTimeRange } from './time-range.ts';

const iso = (r: { from: Date; to: Date }) => [r.from.toISOString(), r.to.toISOString()];
// Tuesday 24 November 2026, 03:30 UTC: still Monday evening in New York.
const now = new Date('2026-11-24T03:30:00Z');

describe('time ranges', () => {
  it('reads dates and times without an offset in the query time zone', () => {
    expect(iso(resolveTimeRange({ from: '2026-11-01', to: '2026-11-02T06:00' }, 'Europe/Berlin'))).toEqual([
      '2026-10-31T23:00:00.000Z',
      '2026-11-02T05:00:00.000Z',
    ]);
    expect(
      iso(resolveTimeRange({ from: '2026-11-01T00:00:00Z', to: '2026-11-02T00:00:00+02:00' }, 'UTC')),
    ).toEqual(['2026-11-01T00:00:00.000Z', '2026-11-01T22:00:00.000Z']);
  });

  it('resolves presets in the zone, across a daylight-saving change', () => {
    expect(iso(resolveTimeRange({ preset: 'today' }, 'America/New_York', now))).toEqual([
      '2026-11-23T05:00:00.000Z',
      '2026-11-24T05:00:00.000Z',
    ]);
    expect(iso(resolveTimeRange({ preset: 'last_full_week' }, 'UTC', now))).toEqual([
      '2026-11-16T00:00:00.000Z',
      '2026-11-23T00:00:00.000Z',
    ]);
    // October in Berlin starts at UTC+2 and ends at UTC+1.
    expect(
      iso(resolveTimeRange({ preset: 'last_full_month' }, 'Europe/Berlin', new Date('2026-11-10T12:00:00Z'))),
    ).toEqual(['2026-09-30T22:00:00.000Z', '2026-10-31T23:00:00.000Z']);
    expect(iso(resolveTimeRange({ preset: 'month_to_date' }, 'UTC', now))).toEqual([
      '2026-11-01T00:00:00.000Z',
      '2026-11-25T00:00:00.000Z',
    ]);
    expect(iso(resolveTimeRange({ preset: 'last_full_quarter' }, 'UTC', now))).toEqual([
      '2026-07-01T00:00:00.000Z',
      '2026-10-01T00:00:00.000Z',
    ]);
  });

  it('gives the previous period of the same length', () => {
    const range = resolveTimeRange({ from: '2026-11-08', to: '2026-11-15' }, 'UTC');
    expect(iso(previousPeriod(range))).toEqual(['2026-11-01T00:00:00.000Z', '2026-11-08T00:00:00.000Z']);
  });

  it('refuses unknown zones, unreadable dates and empty ranges with a hint', () => {
    expect(() => resolveTimeRange({ preset: 'today' }, 'Mars/Olympus')).toThrow(
      'unknown time zone "Mars/Olympus"',
    );
    expect(() => resolveTimeRange({ from: 'last tuesday', to: '2026-11-02' }, 'UTC')).toThrow(
      'timeRange.from "last tuesday" is not a date or time',
    );
    expect(() => resolveTimeRange({ from: '2026-11-02', to: '2026-11-01' }, 'UTC')).toThrow(
      'timeRange.to must be after timeRange.from',
    );
  });
});
