/**
 * A metric value as the person reads it, by the metric's format and their locale. Percent
 * metrics are ratios (0.25 → 25 %); durations are seconds; money keeps its own currency code
 * when the row carries one (Pulse never converts money).
 */
export function formatValue(
  value: unknown,
  format: string | undefined,
  options: { locale?: string; currency?: string } = {},
): string {
  if (value === null || value === undefined || value === '') return '—';
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isFinite(n)) return String(value);
  const { locale } = options;
  switch (format) {
    case 'percent':
      return new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: 2 }).format(n);
    case 'currency':
      return /^[A-Z]{3}$/.test(options.currency ?? '')
        ? new Intl.NumberFormat(locale, { style: 'currency', currency: options.currency! }).format(n)
        : new Intl.NumberFormat(locale, { maximumFractionDigits: 2 }).format(n);
    case 'duration':
      return formatDuration(n);
    default:
      return new Intl.NumberFormat(locale, { maximumFractionDigits: 2 }).format(n);
  }
}

function formatDuration(seconds: number): string {
  if (seconds < 60) return `${Math.round(seconds * 10) / 10} s`;
  if (seconds < 3600) return `${Math.round(seconds / 6) / 10} min`;
  if (seconds < 86_400) return `${Math.round(seconds / 360) / 10} h`;
  return `${Math.round(seconds / 8640) / 10} d`;
}
