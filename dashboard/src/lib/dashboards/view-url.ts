import type { ViewState } from './types.ts';

/**
 * The view state as a query string (`?range=last_7_days&tz=Europe/Berlin&compare=1&f=platform:eq:x`):
 * the page URL, the live stream and the data endpoint all read this one form, so a copied link
 * opens the same view.
 */
export function viewQuery(state: ViewState): string {
  const q = new URLSearchParams();
  if ('preset' in state.timeRange) q.set('range', state.timeRange.preset);
  else {
    q.set('from', state.timeRange.from);
    q.set('to', state.timeRange.to);
  }
  q.set('tz', state.timezone);
  q.set('compare', state.compare ? '1' : '0');
  for (const f of state.filters) q.append('f', `${f.dimension}:${f.op}:${[f.value].flat().join('|')}`);
  return q.toString();
}

/** The state with one dimension's filter set to `value` (or removed when value is empty). */
export function withFilter(state: ViewState, dimension: string, value: string): ViewState {
  const rest = state.filters.filter((f) => f.dimension !== dimension);
  return { ...state, filters: value === '' ? rest : [...rest, { dimension, op: 'eq', value }] };
}
