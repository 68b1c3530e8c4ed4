export { renderReport } from './render-report.ts';
export type {
  RenderedReport,
  RenderOptions,
  ReportDocument,
  ReportFormat,
  ReportTile,
} from './report-document.ts';
