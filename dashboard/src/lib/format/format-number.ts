/** Compact, locale-aware numbers for tiles ("12.4K"), exact ones for tooltips and tables. */
export function formatCompact(value: number, locale?: string): string {
  return new Intl.NumberFormat(locale, { notation: 'compact', maximumFractionDigits: 1 }).format(value);
}

export function formatExact(value: number, locale?: string): string {
  return new Intl.NumberFormat(locale).format(value);
}

/** "14:03:27" in the viewer's time zone; an em dash when there is no time. */
export function formatClock(iso: string | null | undefined, locale?: string): string {
  if (!iso) return '—';
  return new Date(iso).toLocaleTimeString(locale, {
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hour12: false,
  });
}
