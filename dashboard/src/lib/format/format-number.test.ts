import { describe, expect, it } from 'vitest';
import { formatClock, formatCompact, formatExact } from './format-number.ts';

describe('number formatting', () => {
  it('abbreviates large numbers for tiles and keeps exact ones for tables', () => {
    expect(formatCompact(12_400, 'en')).toBe('12.4K');
    expect(formatCompact(999, 'en')).toBe('999');
    expect(formatExact(1234567, 'en')).toBe('1,234,567');
    expect(formatExact(1234567, 'de')).toBe('1.234.567');
  });

  it('shows an em dash when there is no time', () => {
    expect(formatClock(null)).toBe('—');
    expect(formatClock('2026-11-24T10:11:12Z', 'en-GB')).toMatch(/^\d{2}:11:12$/);
  });
});
