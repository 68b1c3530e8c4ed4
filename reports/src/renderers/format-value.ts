import type { ResultColumn, ResultRow } from '@pulse/warehouse';

/** Header text of a column: its label, else its name. */
export function columnHeader(column: ResultColumn): string {
  return column.label ?? column.name;
}

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const decimal = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });
const percent = new Intl.NumberFormat('en-US', {
  style: 'percent',
  minimumFractionDigits: 1,
  maximumFractionDigits: 1,
});
const amount = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

/**
 * A value as a person reads it in a PDF: percent values are fractions (0.053 → "5.3%"),
 * durations are seconds ("1h 2m 5s"), currency amounts get the row's ISO code when the row has a
 * `currency` column.
 */
export function formatValue(column: ResultColumn, value: string | number | null, row?: ResultRow): string {
  if (value === null || value === undefined) return '–';
  if (typeof value === 'string') return column.type === 'time' ? formatTimeLabel(value) : value;
  switch (column.format) {
    case 'percent':
      return percent.format(value);
    case 'duration':
      return formatDuration(value);
    case 'currency': {
      const code = row?.currency;
      return typeof code === 'string' && code ? `${amount.format(value)} ${code}` : amount.format(value);
    }
    default:
      return Number.isInteger(value) ? integer.format(value) : decimal.format(value);
  }
}

export function formatDuration(seconds: number): string {
  const sign = seconds < 0 ? '-' : '';
  let rest = Math.round(Math.abs(seconds));
  const h = Math.floor(rest / 3600);
  rest -= h * 3600;
  const m = Math.floor(rest / 60);
  const s = rest - m * 60;
  if (h > 0) return `${sign}${h}h ${m}m ${s}s`;
  if (m > 0) return `${sign}${m}m ${s}s`;
  return `${sign}${s}s`;
}

/** "2026-03-01 00:00:00" → "2026-03-01"; keeps the clock time when it is not midnight. */
export function formatTimeLabel(value: string): string {
  return value.endsWith(' 00:00:00') ? value.slice(0, 10) : value.slice(0, 16);
}

/** A date as wall-clock "YYYY-MM-DD HH:MM" in `timeZone`. */
export function formatInstant(date: Date, timeZone: string): string {
  const p = wallClockParts(date, timeZone);
  return `${p.year}-${pad(p.month)}-${pad(p.day)} ${pad(p.hour)}:${pad(p.minute)}`;
}

export interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

export function wallClockParts(date: Date, timeZone: string): WallClock {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    })
      .formatToParts(date)
      .map((p) => [p.type, Number(p.value)]),
  );
  return {
    year: parts.year ?? 0,
    month: parts.month ?? 0,
    day: parts.day ?? 0,
    hour: parts.hour ?? 0,
    minute: parts.minute ?? 0,
    second: parts.second ?? 0,
  };
}

const pad = (n: number) => String(n).padStart(2, '0');
