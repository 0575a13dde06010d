/** Events of the agent aggregate (stream `agent-<agentId>`), owned by the coordinator. */

export const AgentEventTypes = {
  AgentRegistered: 'AgentRegistered',
  AgentProfileUpdated: 'AgentProfileUpdated',
  AgentApiKeyRotated: 'AgentApiKeyRotated',
  AgentHeartbeatReceived: 'AgentHeartbeatReceived',
  AgentMarkedOffline: 'AgentMarkedOffline',
} as const;

export interface AgentProfile {
  employeeId: string;
  name: string;
  endpointUrl: string | null;
  specializationCodes: string[];
  capabilities: Record<string, unknown>;
  ownerEmployeeId: string | null;
}

/** What an agent may say about itself in a heartbeat. */
export const AgentReportedStatuses = ['active', 'idle', 'busy', 'paused'] as const;
export type AgentReportedStatus = (typeof AgentReportedStatuses)[number];

/** `registered`: never heard from yet; `offline`: missed its heartbeats (set by the coordinator). */
export const AgentStatuses = ['registered', ...AgentReportedStatuses, 'offline'] as const;
export type AgentStatus = (typeof AgentStatuses)[number];

export type AgentRegistered = {
  type: 'AgentRegistered';
  data: AgentProfile & { agentId: string; apiKeyHash: string; registeredAt: string };
};
export type AgentProfileUpdated = { type: 'AgentProfileUpdated'; data: AgentProfile & { agentId: string; updatedAt: string } };
export type AgentApiKeyRotated = { type: 'AgentApiKeyRotated'; data: { agentId: string; apiKeyHash: string; rotatedAt: string } };
export type AgentHeartbeatReceived = {
  type: 'AgentHeartbeatReceived';
  data: { agentId: string; status: AgentReportedStatus; metadata: Record<string, unknown>; receivedAt: string };
};
export type AgentMarkedOffline = {
  type: 'AgentMarkedOffline';
  data: { agentId: string; lastHeartbeatAt: string | null; markedAt: string };
};

export type AgentEvent = AgentRegistered | AgentProfileUpdated | AgentApiKeyRotated | AgentHeartbeatReceived | AgentMarkedOffline;

export const agentStreamName = (agentId: string) => `agent-${agentId}`;
