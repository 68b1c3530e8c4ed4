export {
  createExportJobs,
  type ExportFile,
  type ExportJobs,
  type ExportJobsOptions,
  type ExportJobView,
  type ExportOwner,
  type ExportState,
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
export { streamResultRows } from './stream-result-rows.ts';
export { exportMedia, type WrittenExport, writeExport } from './write-export.ts';
