import { PulseError } from '@pulse/core';
import { Cron } from 'croner';
import { z } from 'zod';
import { recipientSchema } from './recipients.ts';
import { describeIssues, issueList, relativeTimeRangeSchema } from './report-definition.ts';

/** What the renderers can produce for a scheduled report. */
export const scheduleFormats = ['pdf', 'xlsx', 'csv', 'arrow'] as const;
export type ScheduleFormat = (typeof scheduleFormats)[number];

const timeZone = z
  .string()
  .min(1)
  .max(64)
  .refine(
    (tz) => {
      try {
        new Intl.DateTimeFormat('en-US', { timeZone: tz });
        return true;
      } catch {
        return false;
      }
    },
    { message: 'expected an IANA time zone such as "UTC", "Europe/Berlin" or "America/New_York"' },
  );

const cron = z
  .string()
  .min(9)
  .max(120)
  .refine(
    (pattern) => {
      try {
        new Cron(pattern, { paused: true }).stop();
        return true;
      } catch {
        return false;
      }
    },
    { message: 'expected a cron pattern with five fields, e.g. "0 8 * * 1" (Mondays at 08:00)' },
  );

/** A schedule as the API and the files take it; the id and bookkeeping are the store's. */
export const scheduleDefinitionSchema = z
  .object({
    reportId: z.uuid(),
    name: z.string().max(200).default(''),
    cron,
    timezone: timeZone.default('UTC'),
    /** Overrides the saved report's range; omit to keep the report's own relative range. */
    timeRange: relativeTimeRangeSchema.optional(),
    formats: z
      .array(z.enum(scheduleFormats))
      .min(1)
      .max(scheduleFormats.length)
      .refine((f) => new Set(f).size === f.length, { message: 'name each format once' }),
    recipients: z.array(recipientSchema).min(1).max(100),
    enabled: z.boolean().default(true),
  })
  .strict();
export type ScheduleDefinition = z.infer<typeof scheduleDefinitionSchema>;
export type ScheduleDefinitionInput = z.input<typeof scheduleDefinitionSchema>;

export function parseScheduleDefinition(input: unknown): ScheduleDefinition {
  const parsed = scheduleDefinitionSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  throw new PulseError('SCHEDULE_INVALID', 'the schedule is not valid', {
    hint: describeIssues(parsed.error),
    context: { issues: issueList(parsed.error) },
  });
}

/** The first instant strictly after `after` that the cron pattern names, in the schedule's zone. */
export function nextOccurrence(pattern: string, timezone: string, after: Date): Date | null {
  const job = new Cron(pattern, { paused: true, timezone });
  try {
    return job.nextRun(after);
  } finally {
    job.stop();
  }
}
