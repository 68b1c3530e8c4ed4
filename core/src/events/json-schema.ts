import { z } from 'zod';
import { CONTRACT_VERSION } from './common.ts';
import { eventSchema, familySchemas } from './event.ts';

/** JSON Schema (draft 2020-12) files for other languages and the docs, keyed by file name. */
export function renderJsonSchemas(): Record<string, string> {
  const files: Record<string, string> = {};
  const render = (name: string, schema: z.ZodType, title: string) => {
    const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
    files[`${name}.schema.json`] =
      `${JSON.stringify({ $id: `https://pulse.dev/schemas/v${CONTRACT_VERSION}/${name}.schema.json`, title, ...json }, null, 2)}\n`;
  };
  for (const [family, schema] of Object.entries(familySchemas))
    render(`${family}-event`, schema, `Pulse ${family} event v${CONTRACT_VERSION}`);
  render('pulse-event', eventSchema, `Pulse event v${CONTRACT_VERSION}`);
  return files;
}
