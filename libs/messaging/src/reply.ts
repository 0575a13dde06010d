import { AutocoderError, ErrorCodes, type Reply } from '@autocoder/contracts';
import { withCorrelationId, type Logger } from '@autocoder/platform';

/** Runs a handler under the request's correlation id and turns whatever happens into a Reply. */
export async function replyTo<T>(
  envelope: { correlationId?: string },
  logger: Logger,
  fn: () => Promise<T>,
): Promise<Reply<T>> {
  const correlationId = typeof envelope?.correlationId === 'string' ? envelope.correlationId : 'unknown';
  return withCorrelationId(correlationId, async () => {
    try {
      return { ok: true as const, value: await fn() };
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
