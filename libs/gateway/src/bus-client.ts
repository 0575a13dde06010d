import { randomUUID } from 'node:crypto';
import type { Actor } from '@autocoder/contracts';
import type { MessageBus } from '@autocoder/messaging';
import { currentCorrelationId } from '@autocoder/platform';
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
    return this.bus.request<T>(subject, { commandId: id, correlationId: currentCorrelationId() ?? randomUUID(), actor, payload });
  }

  protected query<T>(subject: string, actor: Actor, payload: unknown) {
    return this.bus.request<T>(subject, { correlationId: currentCorrelationId() ?? randomUUID(), actor, payload });
  }
}
