import { type WallClock, wallClockParts } from './format-value.ts';

const pattern = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?/;

/** Parses the warehouse's 'YYYY-MM-DD HH:MM:SS' into its parts; null when it does not match. */
export function parseWallClock(value: string): WallClock | null {
  const m = pattern.exec(value);
  if (!m) return null;
  return {
    year: Number(m[1]),
    month: Number(m[2]),
    day: Number(m[3]),
    hour: Number(m[4] ?? 0),
    minute: Number(m[5] ?? 0),
    second: Number(m[6] ?? 0),
  };
}

/**
 * The wall clock as a Date whose UTC fields equal it. Spreadsheets have no time zones: Excel
 * shows a date cell's UTC fields, so this is how "09:00 in Berlin" stays 09:00 in the file.
 */
export function wallClockAsUtcFields(value: string): Date | null {
  const w = parseWallClock(value);
  return w ? new Date(Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second)) : null;
}

/** The instant at which `timeZone` shows the wall clock `value` (first match across a DST fold). */
export function wallClockToInstant(value: string, timeZone: string): Date | null {
  const asUtc = wallClockAsUtcFields(value);
  if (!asUtc) return null;
  // Guess with the offset at the UTC reading, then correct once with the offset at the guess:
  // two rounds settle every zone, including across a DST change.
  let guess = asUtc.getTime() - offsetMs(asUtc, timeZone);
  guess = asUtc.getTime() - offsetMs(new Date(guess), timeZone);
  return new Date(guess);
}

export function wallClockToDateUtcFields(date: Date, timeZone: string): Date {
  const w = wallClockParts(date, timeZone);
  return new Date(Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second));
}

function offsetMs(at: Date, timeZone: string): number {
  const w = wallClockParts(at, timeZone);
  const wallAsUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  return wallAsUtc - Math.floor(at.getTime() / 1000) * 1000;
}
