export {
  buildReportDocument,
  type DashboardTileSpec,
  periodLabel,
  type ReportDataSources,
  type ResolveDashboard,
} from './build-report-document.ts';
export type { Clock, RetryPolicy, RunOutcome } from './execute-run.ts';
export {
  createReportScheduler,
  type ReportScheduler,
  type ReportSchedulerOptions,
  type TickResult,
} from './report-scheduler.ts';
export {
  type DeliveryRecord,
  type ReportRun,
  type RunFile,
  type RunStatus,
  runStore,
  scheduledRunId,
} from './run-store.ts';
