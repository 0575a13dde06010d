import { z } from 'zod';
import { boundedJsonObject, uuid } from '../validation';
import { AgentReportedStatuses, AgentStatuses, type AgentStatus } from './agent-events';

export const AGENT_JSON_MAX_BYTES = 64 * 1024;
const specializationCode = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_.-]{0,63}$/, 'must be 1-64 characters of a-z, 0-9, "_", "." or "-", starting with a letter or digit');

export const RegisterAgentInput = z.strictObject({
  employeeId: uuid(),
  name: z.string().trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters'),
  endpointUrl: z
    .url({ protocol: /^https?$/, message: 'must be an http(s) URL' })
    .max(2048, 'must be at most 2048 characters')
    .nullable()
    .default(null),
  specializationCodes: z.array(specializationCode).max(50, 'must list at most 50 codes').default([]),
  capabilities: boundedJsonObject(AGENT_JSON_MAX_BYTES).default({}),
  ownerEmployeeId: uuid().nullable().default(null),
});
export type RegisterAgentInput = z.infer<typeof RegisterAgentInput>;

export const AgentHeartbeatInput = z.strictObject({
  employeeId: uuid(),
  status: z.enum(AgentReportedStatuses, { message: `must be one of ${AgentReportedStatuses.join(', ')}` }).default('active'),
  metadata: boundedJsonObject(AGENT_JSON_MAX_BYTES).default({}),
});
export type AgentHeartbeatInput = z.infer<typeof AgentHeartbeatInput>;

export const ListAgentsInput = z.strictObject({
  status: z.enum(AgentStatuses, { message: `must be one of ${AgentStatuses.join(', ')}` }).optional(),
  specialization: specializationCode.optional(),
  ownerEmployeeId: uuid().optional(),
  /** Most rows in one answer (a query string's "500" is read as a number). */
  limit: z.coerce.number({ message: 'must be a number' }).int('must be a whole number').min(1, 'must be from 1 to 1000').max(1000, 'must be from 1 to 1000').default(500),
});
export type ListAgentsInput = z.infer<typeof ListAgentsInput>;

export const GetAgentInput = z.strictObject({ agentId: uuid() });
export type GetAgentInput = z.infer<typeof GetAgentInput>;

export const AuthenticateAgentInput = z.strictObject({ apiKey: z.string().min(1).max(512) });
export type AuthenticateAgentInput = z.infer<typeof AuthenticateAgentInput>;

/** An agent as every surface shows it. Never carries the API key or its hash. */
export interface AgentView {
  agentId: string;
  employeeId: string;
  name: string;
  endpointUrl: string | null;
  specializationCodes: string[];
  capabilities: Record<string, unknown>;
  ownerEmployeeId: string | null;
  status: AgentStatus;
  statusMetadata: Record<string, unknown>;
  lastHeartbeatAt: string | null;
  registeredAt: string;
  updatedAt: string;
  /** Stream revision the view reflects. */
  revision: number;
}

export interface RegisterAgentResult {
  agentId: string;
  /**
   * Shown once: only its hash is stored. Re-registering rotates it. Null only when a retried
   * command's first answer is older than the retention for secrets (10 minutes).
   */
  apiKey: string | null;
  agent: AgentView;
}

export interface AgentHeartbeatResult {
  agentId: string;
  status: AgentStatus;
  nextHeartbeatSec: number;
}

export interface AuthenticatedAgent {
  agentId: string;
  employeeId: string;
}
