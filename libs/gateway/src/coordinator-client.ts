import { randomUUID } from 'node:crypto';
import { Subjects, type Actor, type AgentHeartbeatResult, type AgentView, type AuthenticatedAgent, type RebuildProjectionsResult, type RegisterAgentResult } from '@autocoder/contracts';
import type { MessageBus } from '@autocoder/messaging';
import { currentCorrelationId } from '@autocoder/platform';
import { Inject, Injectable } from '@nestjs/common';
import { MESSAGE_BUS } from './tokens';

const S = Subjects.coordinator;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

/** The gateway's only way to the coordinator: commands and queries over the message bus. */
@Injectable()
export class CoordinatorClient {
  constructor(@Inject(MESSAGE_BUS) private readonly bus: MessageBus) {}

  /** A client may name its command with a UUID (Idempotency-Key) so a retry is answered, not re-applied. */
  private command<T>(subject: string, actor: Actor, payload: unknown, commandId?: string | null) {
    const id = commandId && UUID.test(commandId) ? commandId.toLowerCase() : randomUUID();
    return this.bus.request<T>(subject, { commandId: id, correlationId: currentCorrelationId() ?? randomUUID(), actor, payload });
  }

  private query<T>(subject: string, actor: Actor, payload: unknown) {
    return this.bus.request<T>(subject, { correlationId: currentCorrelationId() ?? randomUUID(), actor, payload });
  }

  registerAgent(actor: Actor, input: unknown, commandId?: string | null) {
    return this.command<RegisterAgentResult>(S.registerAgent, actor, input, commandId);
  }

  agentHeartbeat(actor: Actor, input: unknown, commandId?: string | null) {
    return this.command<AgentHeartbeatResult>(S.recordAgentHeartbeat, actor, input, commandId);
  }

  rebuildProjections(actor: Actor) {
    return this.command<RebuildProjectionsResult>(S.rebuildProjections, actor, {});
  }

  listAgents(actor: Actor, filter: unknown) {
    return this.query<AgentView[]>(S.listAgents, actor, filter);
  }

  getAgent(actor: Actor, agentId: string) {
    return this.query<AgentView>(S.getAgent, actor, { agentId });
  }

  authenticateAgent(apiKey: string) {
    return this.query<AuthenticatedAgent>(S.authenticateAgent, { kind: 'system', name: 'gateway' }, { apiKey });
  }

  onAgentUpdated(handler: (agent: AgentView) => void) {
    return this.bus.subscribe<AgentView>(Subjects.notifications.agentUpdated, handler);
  }
}
