import { describe, expect, it } from 'vitest';
import { formatBytes, isFinished, progressText } from './export-job.ts';

describe('export progress text', () => {
  it('shows percent and rows once the total is counted', () => {
    expect(progressText({ state: 'running', rowsWritten: 4200, totalRows: 10_000, percent: 42.7 })).toBe(
      'Exporting… 42% (4,200 of 10,000 rows)',
    );
  });

  it('shows rows so far while the total is unknown', () => {
    expect(progressText({ state: 'running', rowsWritten: 1500, totalRows: null, percent: null })).toBe(
      'Exporting… 1,500 rows written',
    );
  });

  it('names the end states', () => {
    expect(progressText({ state: 'done', rowsWritten: 1, totalRows: 1, percent: 100 })).toBe('Done: 1 row');
    expect(progressText({ state: 'cancelled', rowsWritten: 3, totalRows: 9, percent: 33 })).toBe(
      'Export cancelled.',
    );
    expect(isFinished('running')).toBe(false);
    expect(isFinished('cancelled')).toBe(true);
  });
});

describe('formatBytes', () => {
  it('uses decimal units with one decimal below ten', () => {
    expect(formatBytes(950)).toBe('950 B');
    expect(formatBytes(12_345)).toBe('12 KB');
    expect(formatBytes(4_100_000)).toBe('4.1 MB');
    expect(formatBytes(null)).toBe('—');
  });
});
