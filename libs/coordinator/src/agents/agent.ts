import {
  AutocoderError,
  ErrorCodes,
  type AgentEvent,
  type AgentProfile,
  type AgentReportedStatus,
  type AgentStatus,
} from '@autocoder/contracts';
import type { Decider } from '@autocoder/eventstore';

export type AgentCommand =
  | { type: 'RegisterAgent'; data: { agentId: string; profile: AgentProfile; apiKeyHash: string; now: string } }
  | {
      type: 'RecordAgentHeartbeat';
      data: { agentId: string; employeeId: string; status: AgentReportedStatus; metadata: Record<string, unknown>; now: string };
    }
  | { type: 'MarkAgentOffline'; data: { agentId: string; offlineAfterSec: number; now: string } };

export type AgentState =
  | { exists: false }
  | {
      exists: true;
      agentId: string;
      profile: AgentProfile;
      apiKeyHash: string;
      status: AgentStatus;
      statusMetadata: Record<string, unknown>;
      lastHeartbeatAt: string | null;
      registeredAt: string;
      updatedAt: string;
    };

export const initialAgentState: AgentState = { exists: false };

const sameProfile = (a: AgentProfile, b: AgentProfile) =>
  JSON.stringify([a.employeeId, a.name, a.endpointUrl, a.specializationCodes, a.capabilities, a.ownerEmployeeId]) ===
  JSON.stringify([b.employeeId, b.name, b.endpointUrl, b.specializationCodes, b.capabilities, b.ownerEmployeeId]);

/** When the coordinator last heard of the agent: its last heartbeat, or its registration. */
export const lastSeenAt = (state: Extract<AgentState, { exists: true }>) =>
  state.lastHeartbeatAt && state.lastHeartbeatAt > state.registeredAt ? state.lastHeartbeatAt : state.registeredAt;

export function decideAgent(command: AgentCommand, state: AgentState): AgentEvent[] {
  switch (command.type) {
    case 'RegisterAgent': {
      const { agentId, profile, apiKeyHash, now } = command.data;
      if (!state.exists) {
        return [{ type: 'AgentRegistered', data: { agentId, ...profile, apiKeyHash, registeredAt: now } }];
      }
      const events: AgentEvent[] = [];
      if (!sameProfile(state.profile, profile)) events.push({ type: 'AgentProfileUpdated', data: { agentId, ...profile, updatedAt: now } });
      // Registering again hands out a new key: only hashes are kept, so the old one cannot be shown.
      events.push({ type: 'AgentApiKeyRotated', data: { agentId, apiKeyHash, rotatedAt: now } });
      return events;
    }
    case 'RecordAgentHeartbeat': {
      const { agentId, employeeId, status, metadata, now } = command.data;
      if (!state.exists) throw new AutocoderError(ErrorCodes.NotFound, `agent ${agentId} is not registered`);
      if (state.profile.employeeId !== employeeId) {
        throw new AutocoderError(
          ErrorCodes.Forbidden,
          `agent ${agentId} is employee ${state.profile.employeeId}; it may not send heartbeats for employee ${employeeId}`,
        );
      }
      return [{ type: 'AgentHeartbeatReceived', data: { agentId, status, metadata, receivedAt: now } }];
    }
    case 'MarkAgentOffline': {
      const { agentId, offlineAfterSec, now } = command.data;
      if (!state.exists || state.status === 'offline') return [];
      const silentForMs = Date.parse(now) - Date.parse(lastSeenAt(state));
      if (silentForMs < offlineAfterSec * 1000) return [];
      return [{ type: 'AgentMarkedOffline', data: { agentId, lastHeartbeatAt: state.lastHeartbeatAt, markedAt: now } }];
    }
  }
}

export function evolveAgent(state: AgentState, event: AgentEvent): AgentState {
  switch (event.type) {
    case 'AgentRegistered': {
      const { agentId, apiKeyHash, registeredAt, ...profile } = event.data;
      return {
        exists: true,
        agentId,
        profile,
        apiKeyHash,
        status: 'registered',
        statusMetadata: {},
        lastHeartbeatAt: null,
        registeredAt,
        updatedAt: registeredAt,
      };
    }
    case 'AgentProfileUpdated': {
      if (!state.exists) return state;
      const { agentId: _, updatedAt, ...profile } = event.data;
      return { ...state, profile, updatedAt };
    }
    case 'AgentApiKeyRotated':
      return state.exists ? { ...state, apiKeyHash: event.data.apiKeyHash, updatedAt: event.data.rotatedAt } : state;
    case 'AgentHeartbeatReceived':
      return state.exists
        ? {
            ...state,
            status: event.data.status,
            statusMetadata: event.data.metadata,
            lastHeartbeatAt: event.data.receivedAt,
            updatedAt: event.data.receivedAt,
          }
        : state;
    case 'AgentMarkedOffline':
      return state.exists ? { ...state, status: 'offline', updatedAt: event.data.markedAt } : state;
  }
}

export const agentDecider: Decider<AgentCommand, AgentEvent, AgentState> = {
  decide: decideAgent,
  evolve: evolveAgent,
  initialState: initialAgentState,
};
