/**
 * A config key: its name, the form it takes, its default and one line of meaning. Parsing returns a
 * value or the expected form, so the loader can report every bad key at once.
 */
export type ParseResult<T> = { ok: true; value: T } | { ok: false; expected: string };

export interface ConfigKey<T> {
  /** The form, as the README's config table shows it ("integer 1–65535", "url"). */
  readonly type: string;
  /** Rendered default, or undefined when the key is unset by default. */
  readonly defaultText: string | undefined;
  readonly doc: string;
  /** Whether the value is a secret: it is never printed, not even in errors. */
  readonly secret: boolean;
  parse(raw: string | undefined): ParseResult<T>;
}

interface KeyOptions<T> {
  doc: string;
  default?: T;
  secret?: boolean;
}

function define<T>(
  type: string,
  options: KeyOptions<T>,
  parseValue: (raw: string) => ParseResult<T>,
): ConfigKey<T> {
  return {
    type,
    doc: options.doc,
    secret: options.secret ?? false,
    defaultText: options.default === undefined ? undefined : renderDefault(options.default),
    parse(raw) {
      if (raw === undefined || raw.trim() === '') {
        return options.default === undefined
          ? { ok: true, value: undefined as T }
          : { ok: true, value: options.default };
      }
      return parseValue(raw.trim());
    },
  };
}

function renderDefault(value: unknown): string {
  return Array.isArray(value) ? value.join(',') : String(value);
}

const ok = <T>(value: T): ParseResult<T> => ({ ok: true, value });
const bad = (expected: string): ParseResult<never> => ({ ok: false, expected });

export const key = {
  string<T extends string | undefined = string>(options: KeyOptions<T>): ConfigKey<T> {
    return define('string', options, (raw) => ok(raw as T));
  },

  integer<T extends number | undefined = number>(
    options: KeyOptions<T> & { min?: number; max?: number },
  ): ConfigKey<T> {
    const min = options.min ?? Number.MIN_SAFE_INTEGER;
    const max = options.max ?? Number.MAX_SAFE_INTEGER;
    const form = options.max === undefined ? `an integer ≥ ${min}` : `an integer from ${min} to ${max}`;
    return define(
      options.max === undefined ? `integer ≥ ${min}` : `integer ${min}–${max}`,
      options,
      (raw) => {
        if (!/^-?\d+$/.test(raw)) return bad(form);
        const n = Number(raw);
        return n >= min && n <= max ? ok(n as T) : bad(form);
      },
    );
  },

  number<T extends number | undefined = number>(options: KeyOptions<T> & { min?: number }): ConfigKey<T> {
    const min = options.min ?? 0;
    return define(`number ≥ ${min}`, options, (raw) => {
      const n = Number(raw);
      return Number.isFinite(n) && n >= min ? ok(n as T) : bad(`a number ≥ ${min}`);
    });
  },

  oneOf<const V extends string>(values: readonly V[], options: KeyOptions<V>): ConfigKey<V> {
    return define(values.join(' \\| '), options, (raw) => {
      const v = raw.toLowerCase() as V;
      return values.includes(v) ? ok(v) : bad(`one of ${values.join(', ')}`);
    });
  },

  url<T extends string | undefined = string>(
    options: KeyOptions<T> & { protocols: readonly string[] },
  ): ConfigKey<T> {
    const form = `a URL starting with ${options.protocols.map((p) => `${p}//`).join(' or ')}`;
    return define('url', options, (raw) => {
      try {
        return options.protocols.includes(new URL(raw).protocol) ? ok(raw as T) : bad(form);
      } catch {
        return bad(form);
      }
    });
  },

  /** Comma-separated host:port pairs, as Kafka clients take them. */
  hostPorts<T extends string[] | undefined = string[]>(options: KeyOptions<T>): ConfigKey<T> {
    const form = 'a comma-separated list of host:port (e.g. 127.0.0.1:9092)';
    return define('list of host:port', options, (raw) => {
      const items = raw
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      const valid =
        items.length > 0 &&
        items.every((s) => /^[^\s:]+:\d{1,5}$/.test(s) || /^\[[0-9a-f:]+\]:\d{1,5}$/i.test(s));
      return valid ? ok(items as T) : bad(form);
    });
  },

  boolean(options: KeyOptions<boolean>): ConfigKey<boolean> {
    return define('boolean', options, (raw) => {
      const v = raw.toLowerCase();
      if (['1', 'true', 'yes', 'on'].includes(v)) return ok(true);
      if (['0', 'false', 'no', 'off'].includes(v)) return ok(false);
      return bad('true or false');
    });
  },
};
