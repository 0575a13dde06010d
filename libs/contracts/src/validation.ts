import { z } from 'zod';
import { AutocoderError, ErrorCodes } from './errors';

/**
 * Parses input against a schema and turns every problem into one ValidationFailed error
 * that names each offending field, so callers never see zod's internals.
 */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, what: string): z.infer<S> {
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
