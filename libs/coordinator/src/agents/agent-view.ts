import type { AgentStatus, AgentView } from '@autocoder/contracts';
import type { AgentState } from './agent';
import type { AgentRow } from './agent-row.entity';

export function agentViewOfState(state: Extract<AgentState, { exists: true }>, revision: number): AgentView {
  return {
    agentId: state.agentId,
    ...state.profile,
    status: state.status,
    statusMetadata: state.statusMetadata,
    lastHeartbeatAt: state.lastHeartbeatAt,
    registeredAt: state.registeredAt,
    updatedAt: state.updatedAt,
    revision,
  };
}

export function agentViewOfRow(row: AgentRow): AgentView {
  return {
    agentId: row.agentId,
    employeeId: row.employeeId,
    name: row.name,
    endpointUrl: row.endpointUrl,
    specializationCodes: row.specializationCodes,
    capabilities: row.capabilities,
    ownerEmployeeId: row.ownerEmployeeId,
    status: row.status as AgentStatus,
    statusMetadata: row.statusMetadata,
    lastHeartbeatAt: row.lastHeartbeatAt ? row.lastHeartbeatAt.toISOString() : null,
    registeredAt: row.registeredAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    revision: row.revision,
  };
}
