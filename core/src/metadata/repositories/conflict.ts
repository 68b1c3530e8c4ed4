import { PulseError } from '../../errors/index.ts';

/** PostgreSQL's unique_violation and foreign_key_violation, as both drivers report them. */
export async function translateConflict<T>(what: string, hint: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === '23505')
      throw new PulseError('METADATA_CONFLICT', `${what} already exists`, { cause: err, hint });
    if (code === '23503')
      throw new PulseError('METADATA_NOT_FOUND', `${what} refers to something that does not exist`, {
        cause: err,
      });
    if (code === '23514')
      throw new PulseError('METADATA_INVALID', `${what} is not valid`, { cause: err, hint });
    throw err;
  }
}

export const iso = (value: unknown): string => new Date(value as string).toISOString();
