import { AutocoderError, ErrorCodes, type Reply } from '@autocoder/contracts';
import { randomUUID } from 'node:crypto';
import { withCorrelationId, type Logger } from '@autocoder/platform';

/**
 * NATS refuses messages over its max_payload (1 MiB by default) and the caller would only see a
 * time-out; an answer this large becomes a clear error instead, on every transport alike.
 */
export const MAX_REPLY_BYTES = 900 * 1024;

/** Unique to this process, so tags made here never equal another process's. */
const PROCESS_TAG = randomUUID();
let tagsMade = 0;

/**
 * A value a handler has as JSON text already (a read model's rows made into JSON by Postgres).
 * Every transport carries the text as it is and the caller parses it once, into its own copy:
 * nothing re-serialises it on the way, which for a list of 500 rows was most of its cost.
 * `toJSON` keeps anything else that serialises it correct, if slower.
 */
export class JsonText<T = unknown> {
  declare private readonly brand: T;
  constructor(
    readonly text: string,
    /**
     * Names this text: JsonTexts with the same tag hold the same text. Made with the text, and kept by
     * every transport (over NATS the caller gets a new JsonText with the sender's tag), so a caller can
     * tell a kept answer it has seen from a new one without reading the text.
     */
    readonly tag: string = `${PROCESS_TAG}.${++tagsMade}`,
  ) {}

  /** The value, parsed anew on every call: each caller gets its own copy. */
  parse(): T {
    return JSON.parse(this.text) as T;
  }

  toJSON(): unknown {
    return this.parse();
  }
}

/**
 * What a handler sends back: a Reply whose value may still be JSON text (a transport's business), or,
 * when the caller said it holds that text already (`hasAnswer`), only its tag.
 */
export type ServedReply<T> = Reply<T> | { ok: true; value: JsonText<T> } | SameAnswer;

/** The answer is the JSON text the caller holds, by this tag: nothing else is sent. */
export type SameAnswer = { ok: true; sameAs: string };

export const isSameAnswer = (reply: unknown): reply is SameAnswer =>
  !!reply && typeof reply === 'object' && (reply as SameAnswer).ok === true && typeof (reply as SameAnswer).sameAs === 'string';

/** The bytes `{"ok":true,"value":<text>}` takes besides the text. */
const JSON_REPLY_FRAME_BYTES = '{"ok":true,"value":}'.length;

/**
 * JSON text is measured as it is sent, not serialised a second time to count it. A UTF-16 unit is
 * at most 3 bytes of UTF-8, so text well under the limit is not scanned at all.
 */
const jsonTextReplyBytes = (text: string) =>
  (text.length * 3 + JSON_REPLY_FRAME_BYTES <= MAX_REPLY_BYTES ? text.length : Buffer.byteLength(text, 'utf8')) + JSON_REPLY_FRAME_BYTES;

/** Runs a handler under the request's correlation id and turns whatever happens into a Reply. */
export async function replyTo<T>(
  envelope: { correlationId?: string; hasAnswer?: unknown },
  logger: Logger,
  fn: () => Promise<T | JsonText<T>>,
): Promise<ServedReply<T>> {
  const correlationId = typeof envelope?.correlationId === 'string' ? envelope.correlationId : 'unknown';
  return withCorrelationId(correlationId, async (): Promise<ServedReply<T>> => {
    try {
      const value = await fn();
      const reply = { ok: true as const, value };
      const size = value instanceof JsonText ? jsonTextReplyBytes(value.text) : Buffer.byteLength(JSON.stringify(reply) ?? '', 'utf8');
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
      // A kept answer the caller holds already (the same tag names the same text): only the tag goes back.
      if (value instanceof JsonText && typeof envelope.hasAnswer === 'string' && envelope.hasAnswer === value.tag) return { ok: true, sameAs: value.tag };
      return reply as ServedReply<T>;
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
export function unwrapReply<T>(reply: ServedReply<T>, subject: string): T {
  if (reply && typeof reply === 'object' && 'ok' in reply && !isSameAnswer(reply)) {
    if (reply.ok) return reply.value instanceof JsonText ? reply.value.parse() : reply.value;
    throw AutocoderError.fromBody(reply.error);
  }
  throw new AutocoderError(ErrorCodes.Internal, `malformed reply on ${subject}`);
}
