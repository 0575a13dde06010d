import { AutocoderError, ErrorCodes, type Reply } from '@autocoder/contracts';
import { withCorrelationId, type Logger } from '@autocoder/platform';

/**
 * NATS refuses messages over its max_payload (1 MiB by default) and the caller would only see a
 * time-out; an answer this large becomes a clear error instead, on every transport alike.
 */
export const MAX_REPLY_BYTES = 900 * 1024;

/** Runs a handler under the request's correlation id and turns whatever happens into a Reply. */
export async function replyTo<T>(
  envelope: { correlationId?: string },
  logger: Logger,
  fn: () => Promise<T>,
): Promise<Reply<T>> {
  const correlationId = typeof envelope?.correlationId === 'string' ? envelope.correlationId : 'unknown';
  return withCorrelationId(correlationId, async () => {
    try {
      const reply = { ok: true as const, value: await fn() };
      const size = Buffer.byteLength(JSON.stringify(reply) ?? '', 'utf8');
      if (size > MAX_REPLY_BYTES) {
        logger.warn({ size }, 'answer too large for the message bus');
        return {
          ok: false as const,
          error: {
            code: ErrorCodes.PayloadTooLarge,
            message: `the answer is ${size} bytes, more than the ${MAX_REPLY_BYTES} bytes the message bus carries; ask for less (filters, limit, since)`,
          },
        };
      }
      return reply;
    } catch (error) {
      if (error instanceof AutocoderError) {
        logger.info({ code: error.code }, error.message);
        return { ok: false as const, error: error.toBody() };
      }
      logger.error({ err: error }, 'handler failed');
      return {
        ok: false as const,
        error: { code: ErrorCodes.Internal, message: `internal error; the service log has it under correlation id ${correlationId}` },
      };
    }
  });
}

/** The caller's side: a Reply becomes a value or a thrown AutocoderError. */
export function unwrapReply<T>(reply: Reply<T>, subject: string): T {
  if (reply && typeof reply === 'object' && 'ok' in reply) {
    if (reply.ok) return reply.value;
    throw AutocoderError.fromBody(reply.error);
  }
  throw new AutocoderError(ErrorCodes.Internal, `malformed reply on ${subject}`);
}
