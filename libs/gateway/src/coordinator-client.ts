import { Subjects, type Actor, type AgentHeartbeatResult, type AgentView, type AuthenticatedAgent, type RegisterAgentResult } from '@autocoder/contracts';
import type { MessageBus } from '@autocoder/messaging';
import { Inject, Injectable } from '@nestjs/common';
import { AgentRevocations } from './auth/agent-revocations';
import { BusClient } from './bus-client';
import { MESSAGE_BUS } from './tokens';

const S = Subjects.coordinator;

/** The gateway's way to the coordinator's agent registry and projections. */
@Injectable()
export class CoordinatorClient extends BusClient {
  constructor(
    @Inject(MESSAGE_BUS) bus: MessageBus,
    private readonly revocations: AgentRevocations,
  ) {
    super(bus);
  }

  /** Registering rotates the key: the old one stops working here before the new one is handed out. */
  async registerAgent(actor: Actor, input: unknown, commandId?: string | null) {
    const result = await this.command<RegisterAgentResult>(S.registerAgent, actor, input, commandId);
    await this.revocations.revoke(result.agentId, 'rotated');
    return result;
  }

  agentHeartbeat(actor: Actor, input: unknown, commandId?: string | null) {
    return this.command<AgentHeartbeatResult>(S.recordAgentHeartbeat, actor, input, commandId);
  }

  listAgents(actor: Actor, filter: unknown) {
    return this.query<AgentView[]>(S.listAgents, actor, filter);
  }

  /** The list as the coordinator answered it: JSON text it keeps, tagged (see Renderings). */
  listAgentsJson(actor: Actor, filter: unknown) {
    return this.queryJson<AgentView[]>(S.listAgents, actor, filter);
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
