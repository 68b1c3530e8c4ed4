/**
 * The one error type Pulse throws for expected failures. Each edge translates it exactly once:
 * HTTP routes map `code` to a status and a JSON body with the hint, the ingester maps `retriable`
 * to retry-or-dead-letter, the CLI maps it to an exit code.
 */
export interface PulseErrorOptions {
  /** True when the same call may succeed later (a timeout, a broker restart, a busy engine). */
  retriable?: boolean;
  cause?: unknown;
  /** Facts the person on call needs: table names, ids, sizes. Never secrets or personal data. */
  context?: Record<string, unknown>;
  /** What the reader can do about it, in one sentence. */
  hint?: string;
}

export class PulseError extends Error {
  readonly code: string;
  readonly retriable: boolean;
  readonly context: Record<string, unknown>;
  readonly hint: string | undefined;

  constructor(code: string, message: string, options: PulseErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PulseError';
    this.code = code;
    this.retriable = options.retriable ?? false;
    this.context = options.context ?? {};
    this.hint = options.hint;
  }

  toJSON(): Record<string, unknown> {
    return {
      code: this.code,
      message: this.message,
      retriable: this.retriable,
      hint: this.hint,
      context: this.context,
    };
  }
}

export function isPulseError(err: unknown, code?: string): err is PulseError {
  return err instanceof PulseError && (code === undefined || err.code === code);
}

/** Wraps anything thrown into a PulseError, keeping an existing one as it is. */
export function toPulseError(
  err: unknown,
  code: string,
  message: string,
  options: PulseErrorOptions = {},
): PulseError {
  if (err instanceof PulseError) return err;
  return new PulseError(code, message, { ...options, cause: err });
}
