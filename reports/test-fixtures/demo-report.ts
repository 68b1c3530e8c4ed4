import type { MetricQueryResult, ResultColumn, ResultRow } from '@pulse/warehouse';
import type { ReportDocument, ReportTile } from '../src/renderers/index.ts';

/** A fixed report for the renderer tests: every value is computed, nothing is random. */
const timezone = 'Europe/Zurich';

function result(columns: ResultColumn[], rows: ResultRow[]): MetricQueryResult {
  return {
    columns,
    rows,
    truncated: false,
    timeRange: { from: '2026-02-28T23:00:00.000Z', to: '2026-03-14T23:00:00.000Z', timezone },
    sql: 'SELECT 1',
    params: {},
    plan: [],
    elapsedMs: 12,
  };
}

const kpi: ReportTile = {
  title: 'Headline numbers',
  chart: 'kpi',
  result: result(
    [
      { name: 'impressions', kind: 'metric', type: 'number', label: 'Impressions', format: 'number' },
      {
        name: 'engagement_rate',
        kind: 'metric',
        type: 'number',
        label: 'Engagement rate',
        format: 'percent',
      },
      { name: 'revenue', kind: 'metric', type: 'number', label: 'Revenue', format: 'currency' },
      { name: 'avg_watch_time', kind: 'metric', type: 'number', label: 'Avg watch time', format: 'duration' },
      { name: 'impressions__change', kind: 'metric', type: 'number', format: 'percent' },
    ],
    [
      {
        impressions: 1284300,
        engagement_rate: 0.0532,
        revenue: 48210.5,
        avg_watch_time: 3725,
        impressions__change: 0.124,
      },
    ],
  ),
};

const daily: ReportTile = {
  title: 'Daily engagement',
  chart: 'line',
  result: result(
    [
      { name: 'time', kind: 'time', type: 'time', label: 'Day' },
      { name: 'impressions', kind: 'metric', type: 'number', label: 'Impressions', format: 'number' },
      { name: 'engagements', kind: 'metric', type: 'number', label: 'Engagements', format: 'number' },
      {
        name: 'engagement_rate',
        kind: 'metric',
        type: 'number',
        label: 'Engagement rate',
        format: 'percent',
      },
    ],
    Array.from({ length: 14 }, (_, i) => {
      const impressions = 80000 + ((i * 7919) % 23000) + (i % 7 >= 5 ? -15000 : 0);
      const engagements = Math.round(impressions * (0.045 + (i % 5) * 0.004));
      return {
        time: `2026-03-${String(i + 1).padStart(2, '0')} 00:00:00`,
        impressions,
        engagements,
        engagement_rate: Math.round((engagements / impressions) * 10000) / 10000,
      };
    }),
  ),
};

const platformColumns: ResultColumn[] = [
  { name: 'platform', kind: 'dimension', type: 'string', label: 'Platform' },
  { name: 'city', kind: 'dimension', type: 'string', label: 'City' },
  { name: 'currency', kind: 'dimension', type: 'string', label: 'Currency' },
  { name: 'revenue', kind: 'metric', type: 'number', label: 'Revenue', format: 'currency' },
  { name: 'avg_watch_time', kind: 'metric', type: 'number', label: 'Avg watch time', format: 'duration' },
  { name: 'engagement_rate', kind: 'metric', type: 'number', label: 'Engagement rate', format: 'percent' },
];

const byPlatform: ReportTile = {
  title: 'Revenue by platform',
  chart: 'bar',
  result: result(platformColumns, [
    {
      platform: 'instagram',
      city: 'Zürich — 東京',
      currency: 'CHF',
      revenue: 18250.75,
      avg_watch_time: 95,
      engagement_rate: 0.061,
    },
    {
      platform: 'tiktok',
      city: 'Berlin, "Mitte"',
      currency: 'EUR',
      revenue: 15020.1,
      avg_watch_time: 41,
      engagement_rate: 0.087,
    },
    {
      platform: 'youtube',
      city: 'line one\nline two',
      currency: 'USD',
      revenue: 12939.65,
      avg_watch_time: 3725,
      engagement_rate: 0.032,
    },
    {
      platform: 'linkedin',
      city: null,
      currency: 'EUR',
      revenue: 2000,
      avg_watch_time: null,
      engagement_rate: 0.018,
    },
  ]),
};

const posts: ReportTile = {
  title: 'Top posts [all platforms]: details',
  chart: 'table',
  result: result(
    [
      { name: 'post', kind: 'dimension', type: 'string', label: 'Post' },
      { name: 'platform', kind: 'dimension', type: 'string', label: 'Platform' },
      { name: 'impressions', kind: 'metric', type: 'number', label: 'Impressions', format: 'number' },
      {
        name: 'engagement_rate',
        kind: 'metric',
        type: 'number',
        label: 'Engagement rate',
        format: 'percent',
      },
    ],
    Array.from({ length: 120 }, (_, i) => ({
      post: `Post ${String(i + 1).padStart(3, '0')}`,
      platform: ['instagram', 'tiktok', 'youtube', 'linkedin'][i % 4]!,
      impressions: 50000 - i * 311,
      engagement_rate: Math.round((0.02 + ((i * 37) % 50) / 1000) * 1000) / 1000,
    })),
  ),
};

export const demoReport: ReportDocument = {
  title: 'Social performance — March 2026',
  period: '1–14 March 2026',
  generatedAt: new Date('2026-03-15T08:30:00.000Z'),
  dataAsOf: new Date('2026-03-15T08:00:00.000Z'),
  filters: ['workspace = demo', 'platform in (instagram, tiktok, youtube, linkedin)'],
  timezone,
  tiles: [kpi, daily, byPlatform, posts],
};

/** A tile of `rows` rows that come from a generator, never an array. */
export function bigTile(rows: number): ReportTile {
  return {
    title: 'Big export',
    chart: 'table',
    result: result(daily.result.columns, []),
    rowsIterable: (function* () {
      for (let i = 0; i < rows; i++)
        yield {
          time: `2026-03-${String((i % 28) + 1).padStart(2, '0')} ${String(i % 24).padStart(2, '0')}:00:00`,
          impressions: i,
          engagements: i % 977,
          engagement_rate: (i % 1000) / 10000,
        };
    })(),
  };
}
