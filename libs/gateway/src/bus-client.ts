import { randomUUID } from 'node:crypto';
import { AutocoderError, ErrorCodes, findUnstorable, type Actor, type CommandEnvelope, type QueryEnvelope } from '@autocoder/contracts';
import type { JsonText, MessageBus } from '@autocoder/messaging';
import { currentCorrelationId } from '@autocoder/platform';
import { currentBusBudget } from './bus-budget';
import { commandIdFor } from './command-id';

/** What every gateway client does: wrap a payload in a command or query envelope and send it. */
export abstract class BusClient {
  protected constructor(protected readonly bus: MessageBus) {}

  /**
   * A client may name its command (Idempotency-Key, GraphQL commandId) so a retry is answered, not
   * re-applied; the id follows from the actor and the key. A key that cannot be honoured is refused.
   */
  protected command<T>(subject: string, actor: Actor, payload: unknown, commandId?: string | null) {
    const id = commandId === undefined || commandId === null ? randomUUID() : commandIdFor(actor, commandId);
    return this.send<T>(subject, { commandId: id, correlationId: currentCorrelationId() ?? randomUUID(), actor, payload }, (s, e) => this.bus.request<T>(s, e));
  }

  /** `timeoutMs`: for an answer worth less than a prompt reply (the bus's default wait otherwise). */
  protected query<T>(subject: string, actor: Actor, payload: unknown, timeoutMs?: number) {
    return this.send<T>(subject, { correlationId: currentCorrelationId() ?? randomUUID(), actor, payload }, (s, e) => this.bus.request<T>(s, e, timeoutMs));
  }

  /** A query whose answer may stay JSON text (see MessageBus.requestJson): for answers written out again. */
  protected queryJson<T>(subject: string, actor: Actor, payload: unknown) {
    return this.send<T | JsonText<T>>(subject, { correlationId: currentCorrelationId() ?? randomUUID(), actor, payload }, (s, e) => this.bus.requestJson<T>(s, e));
  }

  /**
   * Input that could not be stored (NUL, lone surrogates, nesting past MAX_JSON_DEPTH) is refused here,
   * at the edge, before any transport copies it. Inside a GraphQL operation every call spends from
   * the operation's budget.
   */
  private async send<T>(
    subject: string,
    envelope: CommandEnvelope | QueryEnvelope,
    request: (subject: string, envelope: CommandEnvelope | QueryEnvelope) => Promise<T>,
  ): Promise<T> {
    const unstorable = findUnstorable(envelope.payload);
    if (unstorable) {
      throw new AutocoderError(ErrorCodes.ValidationFailed, `invalid input: ${unstorable.path}: ${unstorable.message}; nothing was done`, [unstorable]);
    }
    const budget = currentBusBudget();
    return budget ? budget.spend(() => request(subject, envelope)) : request(subject, envelope);
  }
}
