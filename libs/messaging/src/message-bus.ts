import type { CommandEnvelope, QueryEnvelope } from '@autocoder/contracts';
import type { JsonText } from './reply';

export type Unsubscribe = () => void;

/**
 * How services talk: request/reply to the queue group that owns a subject, and broadcast
 * notifications every listening process receives. Handlers answer with a Reply value.
 */
export interface MessageBus {
  /** Sends and waits; resolves with the reply's value or rejects with its AutocoderError. */
  request<T>(subject: string, envelope: CommandEnvelope | QueryEnvelope, timeoutMs?: number): Promise<T>;
  /**
   * For queries. As `request`, but an answer the handler had as JSON text arrives as JsonText,
   * unparsed: in process the handler's JsonText itself (shared; it is immutable); over NATS one with
   * the same text and tag, and while the handler keeps answering that JsonText, the same one the bus
   * holds (only the tag crosses). For callers that write the answer out again: a kept answer costs
   * them no parse, and what they made of it can be kept by its tag.
   */
  requestJson<T>(subject: string, envelope: CommandEnvelope | QueryEnvelope, timeoutMs?: number): Promise<T | JsonText<T>>;
  /** Fire-and-forget broadcast: at most once, for live notifications only. */
  publish(subject: string, payload: unknown): void;
  subscribe<T>(subject: string, handler: (payload: T) => void): Unsubscribe;
  close(): Promise<void>;
}

export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
