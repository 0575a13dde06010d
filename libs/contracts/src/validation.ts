import { z } from 'zod';
import { AutocoderError, ErrorCodes, type ErrorDetail } from './errors';

/**
 * Parses input against a schema and turns every problem into one ValidationFailed error
 * that names each offending field, so callers never see zod's internals.
 */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, what: string): z.infer<S> {
  const unstorable = findUnstorable(input);
  if (unstorable) throw new AutocoderError(ErrorCodes.ValidationFailed, `invalid ${what}: ${unstorable.path}: ${unstorable.message}`, [unstorable]);
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const details = result.error.issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({ path: [...issue.path, key].join('.'), message: 'is not a known field' }))
      : [{ path: issue.path.length ? issue.path.join('.') : '(root)', message: issue.message }],
  );
  const summary = details.map((d) => `${d.path}: ${d.message}`).join('; ');
  throw new AutocoderError(ErrorCodes.ValidationFailed, `invalid ${what}: ${summary}`, details);
}

/** A JSON object whose serialised form stays under a byte bound. */
export const boundedJsonObject = (maxBytes: number) =>
  z.record(z.string(), z.unknown()).superRefine((value, ctx) => {
    const size = Buffer.byteLength(JSON.stringify(value), 'utf8');
    if (size > maxBytes) {
      ctx.addIssue({ code: 'custom', message: `must serialise to at most ${maxBytes} bytes, got ${size}` });
    }
  });

export const uuid = () => z.uuid({ message: 'must be a UUID' });

/** Deepest nesting of objects and arrays accepted in any input (JSON payloads included). */
export const MAX_JSON_DEPTH = 64;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why Postgres (text or jsonb) could not store this string as it is, or null. */
export function textProblem(value: string): string | null {
  if (value.includes('\u0000')) return 'must not contain a NUL character (\\u0000)';
  if (LONE_SURROGATE.test(value)) return 'must be well-formed Unicode: it contains a lone surrogate (\\ud800-\\udfff without its pair)';
  return null;
}

const pathOf = (path: (string | number)[]) => (path.length ? path.join('.') : '(root)');

/**
 * The first part of an input that cannot be stored as given: a string or object key with a NUL or a
 * lone surrogate, or nesting deeper than `maxDepth`. Walks without recursion, so a hostile input
 * cannot overflow the stack while it is being checked.
 */
export function findUnstorable(input: unknown, maxDepth = MAX_JSON_DEPTH): ErrorDetail | null {
  const stack: { value: unknown; path: (string | number)[]; depth: number }[] = [{ value: input, path: [], depth: 0 }];
  while (stack.length) {
    const { value, path, depth } = stack.pop()!;
    if (typeof value === 'string') {
      const problem = textProblem(value);
      if (problem) return { path: pathOf(path), message: problem };
      continue;
    }
    if (value === null || typeof value !== 'object') continue;
    if (depth >= maxDepth) return { path: pathOf(path), message: `must not nest objects and arrays more than ${maxDepth} levels deep` };
    const entries: [string | number, unknown][] = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
    for (const [key, child] of entries) {
      if (typeof key === 'string') {
        const problem = textProblem(key);
        if (problem) return { path: pathOf(path), message: `keys ${problem}` };
      }
      stack.push({ value: child, path: [...path, key], depth: depth + 1 });
    }
  }
  return null;
}

/** Earliest and latest instants accepted: what Postgres stores and what makes sense for this system. */
export const TIMESTAMP_RANGE = { min: '1970-01-01T00:00:00Z', max: '9999-12-31T23:59:59.999Z' } as const;

/** An ISO 8601 timestamp with a time zone, between 1970 and 9999. */
export const boundedTimestamp = (message = 'must be an ISO 8601 timestamp with a time zone, e.g. 2026-02-08T12:00:00Z') =>
  z.iso.datetime({ offset: true, message }).refine(
    (value) => {
      const t = Date.parse(value);
      // Not a timestamp at all: the format check says so already.
      return Number.isNaN(t) || (t >= Date.parse(TIMESTAMP_RANGE.min) && t <= Date.parse(TIMESTAMP_RANGE.max));
    },
    { message: `must be between ${TIMESTAMP_RANGE.min} and ${TIMESTAMP_RANGE.max}` },
  );
