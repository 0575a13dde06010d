import { type AgentEvent, type AgentProfile } from '@autocoder/contracts';
import { deciderSpec } from '@autocoder/testing';
import { agentDecider, type AgentCommand } from '../src/agents/agent';

const given = deciderSpec(agentDecider);
import { agentIdFor, agentIdOfApiKey, apiKeyMatches, issueApiKey } from '../src/agents/api-key';

const employeeId = '7f1a2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b';
const agentId = agentIdFor(employeeId);
const profile: AgentProfile = {
  employeeId,
  name: 'CLAUDE',
  endpointUrl: 'https://agent-host/api',
  specializationCodes: ['planning', 'backend'],
  capabilities: { tools: ['web'] },
  ownerEmployeeId: null,
};
const registered: AgentEvent = { type: 'AgentRegistered', data: { agentId, ...profile, apiKeyHash: 'h1', registeredAt: '2026-11-21T10:00:00.000Z' } };


const register = (p: AgentProfile, apiKeyHash = 'h2', now = '2026-11-21T11:00:00.000Z'): AgentCommand => ({ type: 'RegisterAgent', data: { agentId, profile: p, apiKeyHash, now } });
const heartbeat = (now: string, who = employeeId): AgentCommand => ({
  type: 'RecordAgentHeartbeat',
  data: { agentId, employeeId: who, status: 'busy', metadata: { load: 0.2 }, now },
});
const sweep = (now: string, offlineAfterSec = 130): AgentCommand => ({ type: 'MarkAgentOffline', data: { agentId, offlineAfterSec, now } });

describe('agent decider', () => {
  it('registers a new agent', () => {
    given().when(register(profile, 'h1', '2026-11-21T10:00:00.000Z')).then([registered]);
  });

  it('re-registering with the same profile only rotates the key', () => {
    given(registered)
      .when(register(profile))
      .then([{ type: 'AgentApiKeyRotated', data: { agentId, apiKeyHash: 'h2', rotatedAt: '2026-11-21T11:00:00.000Z' } }]);
  });

  it('re-registering with a changed profile updates it and rotates the key', () => {
    const changed = { ...profile, name: 'CLAUDE-2', specializationCodes: ['research'] };
    given(registered)
      .when(register(changed))
      .then([
        { type: 'AgentProfileUpdated', data: { agentId, ...changed, updatedAt: '2026-11-21T11:00:00.000Z' } },
        { type: 'AgentApiKeyRotated', data: { agentId, apiKeyHash: 'h2', rotatedAt: '2026-11-21T11:00:00.000Z' } },
      ]);
  });

  it('records a heartbeat from the agent itself', () => {
    given(registered)
      .when(heartbeat('2026-11-21T10:01:00.000Z'))
      .then([{ type: 'AgentHeartbeatReceived', data: { agentId, status: 'busy', metadata: { load: 0.2 }, receivedAt: '2026-11-21T10:01:00.000Z' } }]);
  });

  it('refuses a heartbeat for an unregistered agent or another employee', () => {
    given().when(heartbeat('2026-11-21T10:01:00.000Z')).thenFails('NOT_FOUND', /not registered/);
    given(registered)
      .when(heartbeat('2026-11-21T10:01:00.000Z', '00000000-0000-4000-8000-000000000000'))
      .thenFails('FORBIDDEN', /may not send heartbeats for employee 00000000/);
  });

  it('marks an agent offline only once it has been silent long enough', () => {
    const beat: AgentEvent = { type: 'AgentHeartbeatReceived', data: { agentId, status: 'active', metadata: {}, receivedAt: '2026-11-21T10:05:00.000Z' } };
    given(registered, beat).when(sweep('2026-11-21T10:07:09.000Z')).then([]);
    given(registered, beat)
      .when(sweep('2026-11-21T10:07:10.000Z'))
      .then([{ type: 'AgentMarkedOffline', data: { agentId, lastHeartbeatAt: '2026-11-21T10:05:00.000Z', markedAt: '2026-11-21T10:07:10.000Z' } }]);
  });

  it('counts silence from registration for an agent never heard from, and marks offline once', () => {
    const offline: AgentEvent = { type: 'AgentMarkedOffline', data: { agentId, lastHeartbeatAt: null, markedAt: '2026-11-21T10:03:00.000Z' } };
    given(registered).when(sweep('2026-11-21T10:03:00.000Z')).then([offline]);
    given(registered, offline).when(sweep('2026-11-21T10:09:00.000Z')).then([]);
    given().when(sweep('2026-11-21T10:09:00.000Z')).then([]);
  });

  it('brings an offline agent back with its next heartbeat', () => {
    const offline: AgentEvent = { type: 'AgentMarkedOffline', data: { agentId, lastHeartbeatAt: null, markedAt: '2026-11-21T10:03:00.000Z' } };
    const beat: AgentEvent = { type: 'AgentHeartbeatReceived', data: { agentId, status: 'idle', metadata: {}, receivedAt: '2026-11-21T10:04:00.000Z' } };
    const state = [registered, offline, beat].reduce(agentDecider.evolve, agentDecider.initialState);
    expect(state).toMatchObject({ exists: true, status: 'idle', lastHeartbeatAt: '2026-11-21T10:04:00.000Z' });
  });
});

describe('agent API keys', () => {
  it('name their agent, match only themselves, and agent ids follow from employee ids', () => {
    const { apiKey, hash } = issueApiKey(agentId);
    expect(agentIdOfApiKey(apiKey)).toBe(agentId);
    expect(apiKeyMatches(apiKey, hash)).toBe(true);
    expect(apiKeyMatches(issueApiKey(agentId).apiKey, hash)).toBe(false);
    expect(agentIdOfApiKey('Bearer nonsense')).toBeNull();
    expect(agentIdFor(employeeId.toUpperCase())).toBe(agentId);
    expect(agentIdFor('11111111-1111-4111-8111-111111111111')).not.toBe(agentId);
  });
});
