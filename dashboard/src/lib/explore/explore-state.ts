import { describeIssues, type ReportDefinition, reportDefinitionSchema } from './report-definition.ts';

/**
 * Explore's whole state lives in the URL, so a link shows the same report to whoever opens it
 * (under their own permissions): `?q=` holds the definition as base64url JSON, `?report=` the
 * saved report it came from (so Save updates it instead of making a copy).
 */
export interface ExploreLink {
  definition: ReportDefinition;
  reportId: string | null;
}

export const defaultDefinition = (): ReportDefinition => ({
  version: 1,
  chart: 'line',
  description: '',
  query: {
    metrics: [],
    dimensions: [],
    filters: [],
    grain: 'day',
    timeRange: { preset: 'last_30_days' },
    timezone: 'UTC',
    limit: 1000,
  },
});

/** The search string (`?q=…&report=…`) for a state. */
export function encodeExploreLink(link: ExploreLink): string {
  const params = new URLSearchParams();
  if (link.reportId) params.set('report', link.reportId);
  params.set('q', toBase64Url(JSON.stringify(link.definition)));
  return `?${params}`;
}

/**
 * Reads the state back. A link that does not decode or validate is reported, not guessed at:
 * the builder shows the problem and starts from the default. A link with no metrics yet (an
 * unfinished report) is still a valid link.
 */
export function decodeExploreLink(
  search: Pick<URLSearchParams, 'get'>,
): { link: ExploreLink; error?: undefined } | { link: ExploreLink; error: string } {
  const reportId = search.get('report');
  const q = search.get('q');
  if (!q) return { link: { definition: defaultDefinition(), reportId } };
  let json: unknown;
  try {
    json = JSON.parse(fromBase64Url(q));
  } catch {
    return {
      link: { definition: defaultDefinition(), reportId },
      error: 'The link is damaged (it does not decode).',
    };
  }
  const draft = json as { query?: { metrics?: unknown[] } };
  // An unfinished report (no metric yet) validates with a placeholder, then gets its empty list back.
  const empty = Array.isArray(draft?.query?.metrics) && draft.query.metrics.length === 0;
  const parsed = reportDefinitionSchema.safeParse(
    empty ? { ...draft, query: { ...draft.query, metrics: ['placeholder'] } } : json,
  );
  if (!parsed.success)
    return {
      link: { definition: defaultDefinition(), reportId },
      error: `The link is not valid: ${describeIssues(parsed.error)}`,
    };
  const definition = empty ? { ...parsed.data, query: { ...parsed.data.query, metrics: [] } } : parsed.data;
  return { link: { definition, reportId } };
}

function toBase64Url(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
}

function fromBase64Url(text: string): string {
  const binary = atob(text.replaceAll('-', '+').replaceAll('_', '/'));
  return new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
}
