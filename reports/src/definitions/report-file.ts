import { PulseError } from '@pulse/core';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { z } from 'zod';
import { recipientKey } from './recipients.ts';
import { describeIssues, issueList, reportSourceSchema } from './report-definition.ts';
import { type ScheduleDefinition, scheduleDefinitionSchema } from './schedule-definition.ts';

/**
 * A scheduled report as a file people keep in git or move between instances. `version` is the
 * file format's version: a newer Pulse keeps reading older files, and an older one refuses a
 * newer file with a clear message instead of guessing.
 */
export const REPORT_FILE_VERSION = 1;

const fileSchema = z
  .object({
    kind: z.literal('pulse/report-schedule'),
    version: z.number().int().min(1),
    report: z.object({ title: z.string().min(1).max(200), definition: reportSourceSchema }).strict(),
    schedule: scheduleDefinitionSchema.omit({ reportId: true }),
    /** Recipients left out on export because their URL or secret is a credential. */
    omittedRecipients: z.array(z.string()).optional(),
  })
  .strict();
export type ReportFile = z.infer<typeof fileSchema>;

export function exportReportFile(
  report: { title: string; definition: unknown },
  schedule: ScheduleDefinition,
  options: { format: 'json' | 'yaml'; includeCredentials?: boolean },
): string {
  const keep = schedule.recipients.filter((r) => options.includeCredentials || r.type === 'email');
  const omitted = schedule.recipients.filter((r) => !keep.includes(r)).map(recipientKey);
  // Only the definition's fields travel: ids and bookkeeping belong to the instance.
  const rest = {
    name: schedule.name,
    cron: schedule.cron,
    timezone: schedule.timezone,
    ...(schedule.timeRange ? { timeRange: schedule.timeRange } : {}),
    formats: schedule.formats,
    enabled: schedule.enabled,
  };
  const file: ReportFile = {
    kind: 'pulse/report-schedule',
    version: REPORT_FILE_VERSION,
    report: { title: report.title, definition: reportSourceSchema.parse(report.definition) },
    schedule: { ...rest, recipients: keep },
    ...(omitted.length ? { omittedRecipients: omitted } : {}),
  };
  return options.format === 'json' ? `${JSON.stringify(file, null, 2)}\n` : stringifyYaml(file);
}

/** Reads a JSON or YAML report file (YAML is a superset of JSON, so one parser reads both). */
export function importReportFile(text: string): ReportFile {
  let value: unknown;
  try {
    value = parseYaml(text);
  } catch (err) {
    throw new PulseError('REPORT_FILE_INVALID', 'the report file is neither JSON nor YAML', {
      cause: err,
      hint: (err as Error).message,
    });
  }
  const version = (value as { version?: unknown } | null)?.version;
  if (typeof version === 'number' && version > REPORT_FILE_VERSION)
    throw new PulseError('REPORT_FILE_INVALID', `report file version ${version} is newer than this Pulse`, {
      hint: `This Pulse reads versions up to ${REPORT_FILE_VERSION}; upgrade Pulse to import it.`,
    });
  const parsed = fileSchema.safeParse(value);
  if (!parsed.success)
    throw new PulseError('REPORT_FILE_INVALID', 'the report file is not valid', {
      hint: describeIssues(parsed.error),
      context: { issues: issueList(parsed.error) },
    });
  return parsed.data;
}
