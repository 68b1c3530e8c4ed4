import { describe, expect, it } from 'vitest';
import { formatValue } from './format-value.ts';

describe('formatValue', () => {
  it('formats by the metric format and locale', () => {
    expect(formatValue(1234.567, 'number', { locale: 'en-US' })).toBe('1,234.57');
    expect(formatValue(1234.5, 'number', { locale: 'de-DE' })).toBe('1.234,5');
    expect(formatValue(0.256, 'percent', { locale: 'en-US' })).toBe('25.6%');
    expect(formatValue(90, 'duration')).toBe('1.5 min');
    expect(formatValue(1200, 'currency', { locale: 'en-US', currency: 'EUR' })).toBe('€1,200.00');
  });

  it('shows missing values as a dash and leaves non-numbers alone', () => {
    expect(formatValue(null, 'number')).toBe('—');
    expect(formatValue('linkedin', 'number')).toBe('linkedin');
  });
});
