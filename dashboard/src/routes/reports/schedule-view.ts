/**
 * Report schedules as the API shows them (dashboard/server/routes/reports-routes.ts) and the
 * words the Reports page uses for them: cron patterns in plain English, recipients, drafts.
 */
export type ScheduleFormat = 'pdf' | 'xlsx' | 'csv' | 'arrow';
export type RecipientType = 'email' | 'slack' | 'teams' | 'webhook';

/** Webhook URLs and secrets are credentials: the API masks them and names them by `key`. */
export type ShownRecipient =
  | { type: 'email'; address: string }
  | { type: 'slack' | 'teams'; webhookUrl: string; key: string }
  | { type: 'webhook'; url: string; secret: string; key: string };

export interface Schedule {
  id: string;
  reportId: string;
  name: string;
  cron: string;
  timezone: string;
  timeRange: { preset: string } | null;
  formats: ScheduleFormat[];
  recipients: ShownRecipient[];
  enabled: boolean;
  nextRunAt: string | null;
  updatedAt: string;
}

/** One recipient row of the form; `value` is the address or the URL. */
export interface RecipientDraft {
  type: RecipientType;
  value: string;
  secret: string;
}

export const scheduleFormats: { id: ScheduleFormat; label: string }[] = [
  { id: 'pdf', label: 'PDF' },
  { id: 'xlsx', label: 'Excel' },
  { id: 'csv', label: 'CSV' },
  { id: 'arrow', label: 'Arrow' },
];

export const recipientTypes: { id: RecipientType; label: string; placeholder: string }[] = [
  { id: 'email', label: 'E-mail', placeholder: 'name@example.com' },
  { id: 'slack', label: 'Slack', placeholder: 'https://hooks.slack.com/services/…' },
  { id: 'teams', label: 'Teams', placeholder: 'https://….webhook.office.com/…' },
  { id: 'webhook', label: 'Webhook', placeholder: 'https://example.com/pulse-reports' },
];

export const cronPresets: { cron: string; label: string }[] = [
  { cron: '0 8 * * 1', label: 'Every Monday 08:00' },
  { cron: '0 8 * * 1-5', label: 'Every weekday 08:00' },
  { cron: '0 7 * * *', label: 'Every day 07:00' },
  { cron: '0 8 1 * *', label: 'First of the month 08:00' },
  { cron: '0 * * * *', label: 'Every hour' },
];

const dayNames = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const dayAbbreviations = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

/**
 * "every Monday at 08:00", "every weekday at 07:30", "on day 1 of every month at 08:00". Patterns
 * these words do not cover come back as "cron <pattern>" rather than a guess.
 */
export function cronInWords(pattern: string): string {
  const fields = pattern.trim().split(/\s+/);
  const raw = `cron ${pattern.trim()}`;
  if (fields.length !== 5) return raw;
  const [minute, hour, dayOfMonth, month, dayOfWeek] = fields as [string, string, string, string, string];
  if (month !== '*') return raw;
  const anyDay = dayOfMonth === '*' && dayOfWeek === '*';
  if (anyDay && hour === '*') {
    if (minute === '*') return 'every minute';
    const step = /^\*\/(\d+)$/.exec(minute);
    if (step) return `every ${step[1]} minutes`;
    if (isNumber(minute, 59)) return minute === '0' ? 'every hour' : `every hour at :${pad(minute)}`;
    return raw;
  }
  if (!isNumber(minute, 59) || !isNumber(hour, 23)) return raw;
  const at = `at ${pad(hour)}:${pad(minute)}`;
  if (anyDay) return `every day ${at}`;
  if (dayOfWeek === '*' && isNumber(dayOfMonth, 31)) return `on day ${dayOfMonth} of every month ${at}`;
  if (dayOfMonth !== '*') return raw;
  const days = weekdays(dayOfWeek);
  if (!days) return raw;
  return `every ${days} ${at}`;
}

/** The next run in the schedule's own zone: "Mon 14 Jul, 08:00". */
export function formatInZone(iso: string | null, timeZone: string): string {
  if (!iso) return '—';
  try {
    return new Intl.DateTimeFormat('en-GB', {
      timeZone,
      weekday: 'short',
      day: 'numeric',
      month: 'short',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    }).format(new Date(iso));
  } catch {
    return new Date(iso).toISOString();
  }
}

/** "E-mail ana@example.com", "Slack https://hooks.slack.com/…". */
export function describeRecipient(r: ShownRecipient): string {
  const label = recipientTypes.find((t) => t.id === r.type)?.label ?? r.type;
  if (r.type === 'email') return `${label} ${r.address}`;
  return `${label} ${r.type === 'webhook' ? r.url : r.webhookUrl}`;
}

/** The API's recipient for a form row (the API validates addresses and URLs). */
export function toRecipient(d: RecipientDraft): Record<string, string> {
  const value = d.value.trim();
  if (d.type === 'email') return { type: 'email', address: value };
  if (d.type === 'webhook') return { type: 'webhook', url: value, secret: d.secret };
  return { type: d.type, webhookUrl: value };
}

/** A signing secret for a new webhook: 32 random bytes as hex. */
export function newWebhookSecret(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
}

function isNumber(field: string, max: number): boolean {
  return /^\d{1,2}$/.test(field) && Number(field) <= max;
}

const pad = (field: string) => field.padStart(2, '0');

function weekdays(field: string): string | null {
  if (field === '1-5') return 'weekday';
  const days: number[] = [];
  for (const part of field.toUpperCase().split(',')) {
    const range = /^(\w+)-(\w+)$/.exec(part);
    const first = dayNumber(range ? range[1]! : part);
    const last = dayNumber(range ? range[2]! : part);
    if (first === null || last === null || first > last) return null;
    for (let d = first; d <= last; d++) days.push(d % 7);
  }
  const unique = [...new Set(days)].sort((a, b) => ((a + 6) % 7) - ((b + 6) % 7));
  if (unique.length === 2 && unique.includes(0) && unique.includes(6)) return 'Saturday and Sunday';
  const names = unique.map((d) => dayNames[d]!);
  return names.length <= 1 ? (names[0] ?? null) : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
}

function dayNumber(token: string): number | null {
  if (/^[0-7]$/.test(token)) return Number(token);
  const i = dayAbbreviations.indexOf(token);
  return i === -1 ? null : i;
}
