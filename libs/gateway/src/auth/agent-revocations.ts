import { Subjects, type AgentView } from '@autocoder/contracts';
import type { MessageBus } from '@autocoder/messaging';
import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { MESSAGE_BUS } from '../tokens';

/** Why what the gateway knows about an agent's key may be out of date. */
export type RevocationReason = 'rotated' | 'changed' | 'offline';
type Listener = (agentId: string, reason: RevocationReason) => void | Promise<void>;

/**
 * Tells the gateway's caches and open sockets that an agent's key may no longer be what it was:
 * a registration answered through this gateway (the key was rotated), or the coordinator's
 * agentUpdated notification (a change made anywhere, possibly by another gateway instance).
 */
@Injectable()
export class AgentRevocations implements OnModuleDestroy {
  private readonly listeners = new Set<Listener>();
  private readonly unsubscribe: () => void;

  constructor(@Inject(MESSAGE_BUS) bus: MessageBus) {
    this.unsubscribe = bus.subscribe<AgentView>(Subjects.notifications.agentUpdated, (agent) => {
      if (agent?.agentId) void this.revoke(agent.agentId, agent.status === 'offline' ? 'offline' : 'changed');
    });
  }

  listen(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves once every listener has acted (caches forgotten, sockets of a revoked key closed). */
  async revoke(agentId: string, reason: RevocationReason): Promise<void> {
    await Promise.all([...this.listeners].map(async (listener) => listener(agentId, reason)));
  }

  onModuleDestroy() {
    this.unsubscribe();
  }
}
