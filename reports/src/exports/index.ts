export {
  createMemoryExportJobStore,
  createSqlExportJobStore,
  type ExportJobRecord,
  type ExportJobStore,
} from './export-job-store.ts';
export {
  createExportJobs,
  type ExportFile,
  type ExportJobs,
  type ExportJobsOptions,
  type ExportJobView,
  type ExportOwner,
  type ExportPage,
  type ExportState,
  INTERRUPTED,
} from './export-jobs.ts';
export {
  type ExportFormat,
  type ExportRequest,
  type ExportRequestInput,
  exportFormats,
  exportRequestSchema,
  maxExportRows,
  parseExportRequest,
} from './export-request.ts';
export { type ExportSource, resolveExportSource } from './export-source.ts';
export { type PreviewCell, type PreviewRows, parseCsv, previewRows } from './preview-rows.ts';
export { streamResultRows } from './stream-result-rows.ts';
export { exportMedia, type WrittenExport, writeExport } from './write-export.ts';
