// The metric query's words — time grains, filter operators, relative time ranges — in a module
// without imports, so the browser (Explore, the report form) offers exactly what the API accepts.

/** Time grains a metric can be bucketed by, finest first. */
export const grains = ['minute', 'hour', 'day', 'week', 'month', 'quarter'] as const;
export type Grain = (typeof grains)[number];

export const filterOperators = ['eq', 'neq', 'in', 'not_in', 'contains', 'gt', 'gte', 'lt', 'lte'] as const;
export type FilterOperator = (typeof filterOperators)[number];

/** Relative ranges, resolved in the query's time zone at the moment the query runs. */
export const timeRangePresets = [
  'today',
  'yesterday',
  'last_24_hours',
  'last_7_days',
  'last_30_days',
  'last_90_days',
  'week_to_date',
  'month_to_date',
  'quarter_to_date',
  'year_to_date',
  'last_full_week',
  'last_full_month',
  'last_full_quarter',
] as const;
export type TimeRangePreset = (typeof timeRangePresets)[number];
