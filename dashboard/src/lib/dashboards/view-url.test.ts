import { describe, expect, it } from 'vitest';
import { viewQuery, withFilter } from './view-url.ts';

describe('viewQuery', () => {
  it('writes presets, custom ranges, comparison and filters as the server reads them', () => {
    const state = {
      timeRange: { preset: 'last_7_days' as const },
      timezone: 'Europe/Berlin',
      compare: true,
      filters: [],
    };
    expect(viewQuery(withFilter(state, 'platform', 'linkedin'))).toBe(
      'range=last_7_days&tz=Europe%2FBerlin&compare=1&f=platform%3Aeq%3Alinkedin',
    );
    expect(viewQuery({ ...state, timeRange: { from: '2026-11-01', to: '2026-11-08' }, compare: false })).toBe(
      'from=2026-11-01&to=2026-11-08&tz=Europe%2FBerlin&compare=0',
    );
    expect(withFilter(withFilter(state, 'platform', 'x'), 'platform', '').filters).toEqual([]);
  });
});
