import type { AgentEvent, AgentView } from '@autocoder/contracts';
import type { RecordedEvent } from '@autocoder/eventstore';
import type { Projection } from '@autocoder/projections';
import { In, type EntityManager } from 'typeorm';
import { agentDecider, type AgentState } from './agent';
import { AgentRow } from './agent-row.entity';
import { agentViewOfRow } from './agent-view';

const AGENT_EVENTS = new Set(['AgentRegistered', 'AgentProfileUpdated', 'AgentApiKeyRotated', 'AgentHeartbeatReceived', 'AgentMarkedOffline']);

/**
 * The agents list. Each row is the agent's state folded with the same `evolve` the decider uses,
 * so the read model cannot drift from the aggregate's own idea of an agent.
 */
export class AgentsProjection implements Projection<AgentView> {
  readonly name = 'coordinator.agents';
  readonly tables: string[];

  constructor(schema: string) {
    this.tables = [`${schema}.agents`];
  }

  async apply(events: RecordedEvent[], tx: EntityManager): Promise<AgentView[]> {
    const ours = events.filter((e) => AGENT_EVENTS.has(e.type));
    if (ours.length === 0) return [];
    const repo = tx.getRepository(AgentRow);
    const ids = [...new Set(ours.map((e) => (e.data as { agentId: string }).agentId))];
    const existing = new Map((await repo.findBy({ agentId: In(ids) })).map((row) => [row.agentId, row]));

    const states = new Map<string, { state: AgentState; revision: number }>();
    for (const [id, row] of existing) states.set(id, { state: stateOfRow(row), revision: row.revision });
    for (const event of ours) {
      const id = (event.data as { agentId: string }).agentId;
      const current = states.get(id) ?? { state: agentDecider.initialState, revision: -1 };
      states.set(id, { state: agentDecider.evolve(current.state, { type: event.type, data: event.data } as AgentEvent), revision: event.revision });
    }

    const rows = [...states.values()].flatMap(({ state, revision }) => (state.exists ? [rowOfState(state, revision)] : []));
    await repo.save(rows);
    return rows.map(agentViewOfRow);
  }
}

const rowOfState = (state: Extract<AgentState, { exists: true }>, revision: number): AgentRow =>
  Object.assign(new AgentRow(), {
    agentId: state.agentId,
    ...state.profile,
    status: state.status,
    statusMetadata: state.statusMetadata,
    lastHeartbeatAt: state.lastHeartbeatAt ? new Date(state.lastHeartbeatAt) : null,
    registeredAt: new Date(state.registeredAt),
    updatedAt: new Date(state.updatedAt),
    revision,
  });

/** The row holds everything but the key hash, which the read model never needs. */
const stateOfRow = (row: AgentRow): AgentState => ({
  exists: true,
  agentId: row.agentId,
  profile: {
    employeeId: row.employeeId,
    name: row.name,
    endpointUrl: row.endpointUrl,
    specializationCodes: row.specializationCodes,
    capabilities: row.capabilities,
    ownerEmployeeId: row.ownerEmployeeId,
  },
  apiKeyHash: '',
  status: row.status as Extract<AgentState, { exists: true }>['status'],
  statusMetadata: row.statusMetadata,
  lastHeartbeatAt: row.lastHeartbeatAt ? row.lastHeartbeatAt.toISOString() : null,
  registeredAt: row.registeredAt.toISOString(),
  updatedAt: row.updatedAt.toISOString(),
});
