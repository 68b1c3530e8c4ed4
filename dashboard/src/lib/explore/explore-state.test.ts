import { describe, expect, it } from 'vitest';
import { decodeExploreLink, defaultDefinition, encodeExploreLink } from './explore-state.ts';
import type { ReportDefinition } from './report-definition.ts';

const definition: ReportDefinition = {
  version: 1,
  chart: 'bar',
  description: 'Réach – by platform',
  query: {
    metrics: ['impressions', 'reach'],
    dimensions: ['platform'],
    filters: [{ dimension: 'platform', op: 'in', value: ['linkedin', 'instagram'] }],
    grain: 'week',
    timeRange: { from: '2026-11-01', to: '2026-11-08' },
    timezone: 'Europe/Berlin',
    compare: 'previous_period',
    limit: 500,
  },
};

describe('Explore links', () => {
  it('round-trips a definition and the saved report it came from', () => {
    const search = encodeExploreLink({ definition, reportId: '5f0c5a7e-3c1b-4f7e-9d55-0a1b2c3d4e5f' });
    expect(search).toMatch(/^\?report=5f0c5a7e-[^&]+&q=[A-Za-z0-9_-]+$/);
    const { link, error } = decodeExploreLink(new URLSearchParams(search));
    expect(error).toBeUndefined();
    expect(link).toEqual({ definition, reportId: '5f0c5a7e-3c1b-4f7e-9d55-0a1b2c3d4e5f' });
  });

  it('keeps an unfinished report with no metric yet', () => {
    const draft = defaultDefinition();
    const { link, error } = decodeExploreLink(
      new URLSearchParams(encodeExploreLink({ definition: draft, reportId: null })),
    );
    expect(error).toBeUndefined();
    expect(link.definition).toEqual(draft);
  });

  it('reports a damaged or invalid link and starts from the default', () => {
    const damaged = decodeExploreLink(new URLSearchParams('q=%%%'));
    expect(damaged.error).toMatch(/damaged/);
    expect(damaged.link.definition).toEqual(defaultDefinition());
    const invalid = encodeExploreLink({
      definition: { ...definition, query: { ...definition.query, grain: 'fortnight' as never } },
      reportId: null,
    });
    expect(decodeExploreLink(new URLSearchParams(invalid)).error).toMatch(/query\.grain/);
  });
});
