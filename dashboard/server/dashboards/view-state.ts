import { PulseError } from '@pulse/core';
import { assertTimeZone, timeRangePresets } from '@pulse/warehouse';
import { z } from 'zod';
import { type DashboardDefinition, type DashboardFilter, filterSchema, parseWith } from './definition.ts';

/**
 * What the global controls say: time range, time zone, comparison and cross-filters. It travels
 * in the page URL and in the live stream's query string (`?range=last_7_days&tz=Europe/Berlin&
 * compare=1&f=platform:eq:linkedin`), so a view is a link that can be shared.
 */
export interface ViewState {
  timeRange: { preset: (typeof timeRangePresets)[number] } | { from: string; to: string };
  timezone: string;
  compare: boolean;
  filters: DashboardFilter[];
}

const querySchema = z
  .object({
    range: z.enum(timeRangePresets).optional(),
    from: z.string().max(40).optional(),
    to: z.string().max(40).optional(),
    tz: z.string().max(64).optional(),
    compare: z.enum(['0', '1']).optional(),
    f: z.union([z.string(), z.array(z.string()).max(20)]).optional(),
  })
  .loose();

/**
 * Reads the view state from a query string, falling back to the dashboard's defaults. A filter is
 * `dimension:op:value` (values of `in`/`not_in` separated by `|`); only the dashboard's filter
 * dimensions are accepted, so a link cannot filter on something the dashboard does not offer.
 */
export function parseViewState(query: unknown, definition: DashboardDefinition): ViewState {
  const q = parseWith(querySchema, query ?? {}, 'view state');
  if ((q.from === undefined) !== (q.to === undefined))
    throw viewError('from and to go together', 'give both ?from= and ?to=, or a ?range= preset');
  const timezone = q.tz ?? 'UTC';
  assertTimeZone(timezone);
  const filters = (q.f === undefined ? [] : [q.f].flat()).map((raw) => parseFilter(raw, definition));
  return {
    timeRange:
      q.from !== undefined && q.to !== undefined
        ? { from: q.from, to: q.to }
        : q.range
          ? { preset: q.range }
          : definition.defaults.timeRange,
    timezone,
    compare: q.compare === undefined ? definition.defaults.compare : q.compare === '1',
    filters: q.f === undefined ? definition.defaults.filters : filters,
  };
}

/** A stable key for a view: equal states share one refresh hub entry. */
export function viewKey(workspaceId: string, slug: string, state: ViewState): string {
  return JSON.stringify([workspaceId, slug, state.timeRange, state.timezone, state.compare, state.filters]);
}

function parseFilter(raw: string, definition: DashboardDefinition): DashboardFilter {
  const [dimension = '', op = '', ...rest] = raw.split(':');
  const value = rest.join(':');
  if (!definition.filterDimensions.includes(dimension))
    throw viewError(
      `"${dimension}" is not a filter of this dashboard`,
      `filter on one of: ${definition.filterDimensions.join(', ') || '(none)'}`,
    );
  const list = op === 'in' || op === 'not_in';
  return parseWith(filterSchema, { dimension, op, value: list ? value.split('|') : value }, 'filter');
}

function viewError(message: string, hint: string): PulseError {
  return new PulseError('DASHBOARD_INVALID', `the view state is not valid: ${message}`, { hint });
}
