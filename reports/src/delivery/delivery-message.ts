import type { ResultColumn } from '@pulse/warehouse';
import { formatInstant, formatValue } from '../renderers/format-value.ts';
import type { ReportDocument } from '../renderers/index.ts';

/** A headline number as every channel shows it: already formatted for people. */
export interface HeadlineKpi {
  label: string;
  value: string;
  /** "+12.4%" against the previous period, when the report compares. */
  change?: string;
}

/** A rendered file as a recipient gets it: attached, or behind an expiring signed link. */
export interface DeliveredFile {
  format: string;
  name: string;
  bytes: number;
  contentType: string;
  /** Absolute path in the downloads area (for attachments). */
  filePath: string;
  url: string;
  expiresAt: Date;
}

/** Everything a channel needs to tell one recipient about one run. */
export interface DeliveryMessage {
  /** The idempotency key sent along (Message-ID, Idempotency-Key). */
  runId: string;
  title: string;
  period: string;
  timezone: string;
  generatedAt: string;
  dataAsOf: string;
  filters: string[];
  kpis: HeadlineKpi[];
  files: DeliveredFile[];
  /** Where "Open report" points: the first file's download link. */
  link: string;
}

/** The part of a message that comes from the document, saved beside the files for retries. */
export type MessageSummary = Pick<
  DeliveryMessage,
  'title' | 'period' | 'timezone' | 'generatedAt' | 'dataAsOf' | 'filters' | 'kpis'
>;

const MAX_KPIS = 6;

/** The first KPI tile's metrics (with their change), as the chat channels show them. */
export function summarizeDocument(doc: ReportDocument): MessageSummary {
  const tile = doc.tiles.find((t) => t.chart === 'kpi') ?? doc.tiles[0];
  const row = tile?.result.rows[0];
  const kpis: HeadlineKpi[] = [];
  if (tile && row)
    for (const column of tile.result.columns.filter(isHeadline).slice(0, MAX_KPIS)) {
      const change = row[`${column.name}__change`];
      kpis.push({
        label: column.label ?? column.name,
        value: formatValue(column, row[column.name] ?? null, row),
        ...(typeof change === 'number'
          ? { change: `${change >= 0 ? '+' : ''}${(change * 100).toFixed(1)}%` }
          : {}),
      });
    }
  return {
    title: doc.title,
    period: doc.period,
    timezone: doc.timezone,
    generatedAt: `${formatInstant(doc.generatedAt, doc.timezone)} (${doc.timezone})`,
    dataAsOf: `${formatInstant(doc.dataAsOf, doc.timezone)} (${doc.timezone})`,
    filters: doc.filters,
    kpis,
  };
}

const isHeadline = (c: ResultColumn) => c.kind === 'metric' && !/__(previous|change)$/.test(c.name);
