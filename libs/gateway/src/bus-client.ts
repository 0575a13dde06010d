import { randomUUID } from 'node:crypto';
import type { Actor } from '@autocoder/contracts';
import type { MessageBus } from '@autocoder/messaging';
import { currentCorrelationId } from '@autocoder/platform';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

/** What every gateway client does: wrap a payload in a command or query envelope and send it. */
export abstract class BusClient {
  protected constructor(protected readonly bus: MessageBus) {}

  /** A client may name its command with a UUID (Idempotency-Key) so a retry is answered, not re-applied. */
  protected command<T>(subject: string, actor: Actor, payload: unknown, commandId?: string | null, timeoutMs?: number) {
    const id = commandId && UUID.test(commandId) ? commandId.toLowerCase() : randomUUID();
    return this.bus.request<T>(subject, { commandId: id, correlationId: currentCorrelationId() ?? randomUUID(), actor, payload }, timeoutMs);
  }

  protected query<T>(subject: string, actor: Actor, payload: unknown) {
    return this.bus.request<T>(subject, { correlationId: currentCorrelationId() ?? randomUUID(), actor, payload });
  }
}
