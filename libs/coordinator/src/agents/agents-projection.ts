import type { AgentEvent, AgentView } from '@autocoder/contracts';
import { FoldBatch, HandlerProjection, type EventHandlers, type Recorded } from '@autocoder/projections';
import { In, type EntityManager } from 'typeorm';
import { agentDecider, type AgentState } from './agent';
import { AgentRow } from './agent-row.entity';
import { agentViewOfRow } from './agent-view';

export const AGENTS_PROJECTION = 'coordinator.agents';

type AgentsBatch = FoldBatch<AgentState, AgentEvent>;
const fold = (event: Recorded<AgentEvent>, batch: AgentsBatch) => batch.fold(event.data.agentId, event);

/** Every agent event changes the agent's row: folded with the decider's own `evolve`. */
export const agentsHandlers: EventHandlers<AgentEvent, AgentsBatch> = {
  AgentRegistered: fold,
  AgentProfileUpdated: fold,
  AgentApiKeyRotated: fold,
  AgentHeartbeatReceived: fold,
  AgentMarkedOffline: fold,
};

/**
 * The agents list. Each row is the agent's state folded with the same `evolve` the decider uses,
 * so the read model cannot drift from the aggregate's own idea of an agent.
 */
export class AgentsProjection extends HandlerProjection<AgentEvent, AgentsBatch, AgentView> {
  readonly name = AGENTS_PROJECTION;
  readonly tables: string[];
  protected readonly handlers = agentsHandlers;

  constructor(schema: string) {
    super();
    this.tables = [`${schema}.agents`];
  }

  protected async begin(events: Recorded<AgentEvent>[], tx: EntityManager): Promise<AgentsBatch> {
    const batch = new FoldBatch(agentDecider.initialState, agentDecider.evolve);
    const ids = [...new Set(events.map((e) => e.data.agentId))];
    for (const row of await tx.getRepository(AgentRow).findBy({ agentId: In(ids) })) batch.load(row.agentId, stateOfRow(row), row.revision);
    return batch;
  }

  protected async finish(batch: AgentsBatch, tx: EntityManager): Promise<AgentView[]> {
    const rows = [...batch.states.values()].flatMap(({ state, revision }) => (state.exists ? [rowOfState(state, revision)] : []));
    await tx.getRepository(AgentRow).save(rows);
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
