import { describe, expect, it } from 'vitest';
import { formatChange, formatMetric } from './format-metric.ts';

describe('formatMetric', () => {
  it('formats by the metric format and the locale', () => {
    expect(formatMetric(0.254, 'percent', { locale: 'en-US' })).toBe('25.4%');
    expect(formatMetric(1234.5, 'currency', { locale: 'de-DE', currency: 'EUR' })).toBe('1.234,50\u00a0€');
    expect(formatMetric(5400, 'duration')).toBe('1.5 h');
    expect(formatMetric(123456, 'number', { locale: 'en-US', compact: true })).toBe('123.5K');
    expect(formatMetric(1234, 'number', { locale: 'en-US', compact: true })).toBe('1,234');
    expect(formatMetric(null, 'number')).toBe('—');
  });
  it('signs changes and says when there is nothing to compare with', () => {
    expect(formatChange(0.125, 'en-US')).toBe('+12.5%');
    expect(formatChange(-0.03, 'en-US')).toBe('-3%');
    expect(formatChange(null)).toBe('no previous data');
  });
});
