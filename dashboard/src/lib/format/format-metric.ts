/**
 * A metric value as a person reads it, by the metric's catalog format and their locale: ratios
 * as percentages (0.254 → 25.4 %), durations from seconds, money in its own currency when the
 * row names it (Pulse never converts money). `compact` is for big tile numbers ("12.4K").
 */
export function formatMetric(
  value: unknown,
  format: string | undefined,
  options: { locale?: string | undefined; currency?: string | undefined; compact?: boolean } = {},
): string {
  if (value === null || value === undefined || value === '') return '—';
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isFinite(n)) return String(value);
  const { locale, compact } = options;
  const notation = compact && Math.abs(n) >= 10_000 ? ('compact' as const) : ('standard' as const);
  switch (format) {
    case 'percent':
      return new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: 1 }).format(n);
    case 'currency':
      return /^[A-Z]{3}$/.test(options.currency ?? '')
        ? new Intl.NumberFormat(locale, {
            style: 'currency',
            currency: options.currency as string,
            notation,
            maximumFractionDigits: notation === 'compact' ? 1 : 2,
          }).format(n)
        : new Intl.NumberFormat(locale, { notation, maximumFractionDigits: 2 }).format(n);
    case 'duration':
      return n < 60
        ? `${round(n)} s`
        : n < 3600
          ? `${round(n / 60)} min`
          : n < 86_400
            ? `${round(n / 3600)} h`
            : `${round(n / 86_400)} d`;
    default:
      return new Intl.NumberFormat(locale, {
        notation,
        maximumFractionDigits: notation === 'compact' ? 1 : 2,
      }).format(n);
  }
}

/** "+12.5 %" / "−3 %": a relative change with its sign, for the KPI change badge. */
export function formatChange(change: number | null | undefined, locale?: string): string {
  if (change === null || change === undefined || !Number.isFinite(change)) return 'no previous data';
  return new Intl.NumberFormat(locale, {
    style: 'percent',
    maximumFractionDigits: 1,
    signDisplay: 'exceptZero',
  }).format(change);
}

const round = (n: number) => Math.round(n * 10) / 10;
