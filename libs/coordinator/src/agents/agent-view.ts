import type { AgentStatus, AgentView } from '@autocoder/contracts';
import type { AgentState } from './agent';
import { isoTimestampSql } from '../json-rows';
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

/**
 * agentViewOfRow in SQL, for lists: the columns of the agents row `a` under the view's names and
 * in its order, for `row_to_json`. A test holds the two to the same answer.
 */
export const agentViewColumnsSql = (a: string) =>
  [
    `${a}.agent_id AS "agentId"`,
    `${a}.employee_id AS "employeeId"`,
    `${a}.name AS "name"`,
    `${a}.endpoint_url AS "endpointUrl"`,
    `${a}.specialization_codes AS "specializationCodes"`,
    `${a}.capabilities AS "capabilities"`,
    `${a}.owner_employee_id AS "ownerEmployeeId"`,
    `${a}.status AS "status"`,
    `${a}.status_metadata AS "statusMetadata"`,
    `${isoTimestampSql(`${a}.last_heartbeat_at`)} AS "lastHeartbeatAt"`,
    `${isoTimestampSql(`${a}.registered_at`)} AS "registeredAt"`,
    `${isoTimestampSql(`${a}.updated_at`)} AS "updatedAt"`,
    `${a}.revision AS "revision"`,
  ].join(', ');
