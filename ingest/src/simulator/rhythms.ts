import type { Random } from './prng.ts';

export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;

/** Relative activity by hour of day (UTC, a business audience in Europe and the Americas). */
const hourly = [
  0.15, 0.1, 0.08, 0.08, 0.1, 0.18, 0.35, 0.6, 0.85, 1, 1, 0.95, 0.9, 0.95, 1, 1, 0.95, 0.85, 0.75, 0.65,
  0.55, 0.45, 0.32, 0.22,
];
const hours = hourly.map((_, i) => i);

/** Relative activity by weekday, Sunday first; B2B platforms dip harder at weekends. */
export const weekdayFactor = {
  business: [0.45, 1, 1.1, 1.12, 1.08, 0.9, 0.5],
  consumer: [1.1, 0.95, 0.95, 1, 1, 1.05, 1.15],
} as const;

export function dayFactor(dayStartMs: number, audience: keyof typeof weekdayFactor): number {
  return weekdayFactor[audience][new Date(dayStartMs).getUTCDay()]!;
}

/** A time within the day, drawn from the hourly rhythm, with a random minute and second. */
export function timeInDay(random: Random, dayStartMs: number): number {
  return dayStartMs + random.weighted(hours, hourly) * HOUR + Math.floor(random.next() * HOUR);
}

/** How good an hour is to publish in (used by the engagement model: best time to post). */
export function hourQuality(ms: number): number {
  return 0.5 + hourly[new Date(ms).getUTCHours()]!;
}
