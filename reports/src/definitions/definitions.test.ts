import { describe, expect, it } from 'vitest';
import { recipientKey } from './recipients.ts';
import { parseReportSource } from './report-definition.ts';
import { exportReportFile, importReportFile } from './report-file.ts';
import { nextOccurrence, parseScheduleDefinition } from './schedule-definition.ts';

const reportId = '6f1c1a52-8f0e-4c1e-9a55-0b7a2a1f0001';
const schedule = parseScheduleDefinition({
  reportId,
  name: 'Weekly',
  cron: '0 8 * * 1',
  timezone: 'Europe/Berlin',
  timeRange: { preset: 'last_full_week' },
  formats: ['pdf', 'xlsx'],
  recipients: [
    { type: 'email', address: 'ceo@acme.test' },
    { type: 'slack', webhookUrl: 'https://hooks.slack.com/services/T0/B0/secretpart' },
  ],
});
const report = {
  title: 'Weekly social',
  definition: { kind: 'explore', query: { metrics: ['impressions'], timeRange: { preset: 'last_7_days' } } },
};

describe('schedules', () => {
  it('finds the next run in the schedule’s zone across a daylight-saving change', () => {
    // Berlin leaves summer time on 25 October 2026: 08:00 is 06:00 UTC before, 07:00 UTC after.
    expect(
      nextOccurrence('0 8 * * 1', 'Europe/Berlin', new Date('2026-10-13T00:00:00Z'))?.toISOString(),
    ).toBe('2026-10-19T06:00:00.000Z');
    expect(
      nextOccurrence('0 8 * * 1', 'Europe/Berlin', new Date('2026-10-20T00:00:00Z'))?.toISOString(),
    ).toBe('2026-10-26T07:00:00.000Z');
  });

  it('names every invalid field with a hint', () => {
    expect(() =>
      parseScheduleDefinition({ ...schedule, cron: '61 * * * *', formats: ['pdf', 'pdf'], recipients: [] }),
    ).toThrowError(
      expect.objectContaining({
        code: 'SCHEDULE_INVALID',
        hint: expect.stringMatching(
          /cron: expected a cron pattern.*formats: name each format once.*recipients:/s,
        ),
      }),
    );
  });

  it('keys webhook recipients by a hash, never by their URL', () => {
    const key = recipientKey(schedule.recipients[1]!);
    expect(key).toMatch(/^slack:[0-9a-f]{24}$/);
    expect(key).not.toContain('secretpart');
    expect(recipientKey({ type: 'email', address: 'CEO@Acme.test' })).toBe('email:ceo@acme.test');
  });
});

describe('saved reports', () => {
  it('reads Explore’s saved format and maps its chart kinds onto the renderers’ four', () => {
    const source = parseReportSource({
      version: 1,
      chart: 'area',
      query: { metrics: ['impressions'], timeRange: { preset: 'last_7_days' }, timezone: 'UTC' },
    });
    expect(source).toMatchObject({ kind: 'explore', chart: 'line', query: { metrics: ['impressions'] } });
    expect(parseReportSource({ kind: 'dashboard', dashboardId: 'exec' })).toEqual({
      kind: 'dashboard',
      dashboardId: 'exec',
      filters: [],
    });
    expect(() => parseReportSource({ kind: 'explore', query: { metrics: [] } }, reportId)).toThrowError(
      expect.objectContaining({
        code: 'REPORT_DEFINITION_INVALID',
        context: expect.objectContaining({ reportId }),
      }),
    );
  });
});

describe('report files', () => {
  it('round-trips through YAML and JSON, leaving credential-bearing recipients out unless asked', () => {
    for (const format of ['yaml', 'json'] as const) {
      const text = exportReportFile(report, schedule, { format });
      expect(text).not.toContain('secretpart');
      const file = importReportFile(text);
      expect(file.schedule.recipients).toEqual([{ type: 'email', address: 'ceo@acme.test' }]);
      expect(file.omittedRecipients).toEqual([recipientKey(schedule.recipients[1]!)]);
      expect(file.schedule).toMatchObject({
        cron: '0 8 * * 1',
        timezone: 'Europe/Berlin',
        formats: ['pdf', 'xlsx'],
      });
      expect(file.report.title).toBe('Weekly social');
    }
    const full = importReportFile(
      exportReportFile(report, schedule, { format: 'yaml', includeCredentials: true }),
    );
    expect(full.schedule.recipients).toEqual(schedule.recipients);
    expect(full.omittedRecipients).toBeUndefined();
  });

  it('refuses files from a newer Pulse and files that are not YAML', () => {
    const newer = exportReportFile(report, schedule, { format: 'json' }).replace(
      '"version": 1',
      '"version": 2',
    );
    expect(() => importReportFile(newer)).toThrowError(/newer than this Pulse/);
    expect(() => importReportFile('kind: [unclosed')).toThrowError(
      expect.objectContaining({ code: 'REPORT_FILE_INVALID' }),
    );
  });
});
