import {
  AgentHeartbeatInput,
  AuthenticateAgentInput,
  AutocoderError,
  ErrorCodes,
  GetAgentInput,
  ListAgentsInput,
  RegisterAgentInput,
  actorLabel,
  agentStreamName,
  nameBasedUuid,
  parseInput,
  type Actor,
  type AgentEvent,
  type AgentHeartbeatResult,
  type AgentView,
  type AuthenticatedAgent,
  type CommandEnvelope,
  type QueryEnvelope,
  type RegisterAgentResult,
} from '@autocoder/contracts';
import type { AggregateStore, CommandContext } from '@autocoder/eventstore';
import type { CommandLog, JsonText } from '@autocoder/messaging';
import type { Logger } from '@autocoder/platform';
import type { DataSource } from 'typeorm';
import { lastSeenAt, type AgentCommand, type AgentState } from './agent';
import { AgentRow } from './agent-row.entity';
import { sqlParameters, whereSql } from '../json-rows';
import { ListAnswers } from '../list-answers';
import { AGENTS_PROJECTION } from './agents-projection';
import { agentViewColumnsSql, agentViewOfRow, agentViewOfState } from './agent-view';
import { agentIdFor, agentIdOfApiKey, apiKeyMatches, issueApiKey } from './api-key';

export interface AgentsSettings {
  heartbeatIntervalSec: number;
  offlineAfterSec: number;
}

const requireAdmin = (actor: Actor, what: string) => {
  if (actor?.kind !== 'admin' && actor?.kind !== 'system') {
    throw new AutocoderError(ErrorCodes.Forbidden, `${what} needs the admin token`);
  }
};

/** The agent registry's use cases: load, decide, append; and reads from the agents read model. */
export class AgentsService {
  private readonly lists: ListAnswers;

  constructor(
    private readonly aggregates: AggregateStore<AgentCommand, AgentEvent, AgentState>,
    private readonly commands: CommandLog,
    private readonly dataSource: DataSource,
    private readonly settings: AgentsSettings,
    private readonly logger: Logger,
  ) {
    this.lists = new ListAnswers(dataSource, this.schema, AGENTS_PROJECTION);
  }

  async register(subject: string, envelope: CommandEnvelope): Promise<RegisterAgentResult> {
    requireAdmin(envelope.actor, 'registering an agent');
    const input = parseInput(RegisterAgentInput, envelope.payload, 'agent registration');
    return this.commands.run(subject, envelope, async () => {
      const agentId = agentIdFor(input.employeeId);
      const { apiKey, hash } = issueApiKey(agentId);
      const { employeeId, name, endpointUrl, specializationCodes, capabilities, ownerEmployeeId } = input;
      const handled = await this.aggregates.handle(
        agentStreamName(agentId),
        {
          type: 'RegisterAgent',
          data: { agentId, apiKeyHash: hash, now: new Date().toISOString(), profile: { employeeId, name, endpointUrl, specializationCodes, capabilities, ownerEmployeeId } },
        },
        this.context(envelope),
      );
      if (handled.alreadyApplied) this.answerLost(envelope);
      const state = handled.state as Extract<AgentState, { exists: true }>;
      const value: RegisterAgentResult = { agentId, apiKey, agent: agentViewOfState(state, handled.revision!) };
      this.logger.info({ agentId, employeeId, revision: handled.revision }, 'agent registered');
      // The key is kept only briefly with the answer, for retries; later retries get it redacted.
      return { value, redacted: { ...value, apiKey: null } };
    });
  }

  async heartbeat(subject: string, envelope: CommandEnvelope): Promise<AgentHeartbeatResult> {
    const actor = envelope.actor;
    if (actor?.kind !== 'agent') throw new AutocoderError(ErrorCodes.Forbidden, 'heartbeats come from the agent itself, with its API key');
    const input = parseInput(AgentHeartbeatInput, envelope.payload, 'heartbeat');
    if (actor.employeeId !== input.employeeId) {
      throw new AutocoderError(
        ErrorCodes.Forbidden,
        `this API key belongs to employee ${actor.employeeId}; it may not send heartbeats for employee ${input.employeeId}`,
      );
    }
    return this.commands.run(subject, envelope, async () => {
      const handled = await this.aggregates.handle(
        agentStreamName(actor.agentId),
        { type: 'RecordAgentHeartbeat', data: { agentId: actor.agentId, employeeId: input.employeeId, status: input.status, metadata: input.metadata, now: new Date().toISOString() } },
        this.context(envelope),
      );
      if (handled.alreadyApplied) this.answerLost(envelope);
      const state = handled.state as Extract<AgentState, { exists: true }>;
      return { value: { agentId: actor.agentId, status: state.status, nextHeartbeatSec: this.settings.heartbeatIntervalSec } };
    });
  }

  async authenticate(envelope: QueryEnvelope): Promise<AuthenticatedAgent> {
    const { apiKey } = parseInput(AuthenticateAgentInput, envelope.payload, 'authentication');
    const agentId = agentIdOfApiKey(apiKey);
    const { state } = agentId ? await this.aggregates.load(agentStreamName(agentId)) : { state: { exists: false } as AgentState };
    if (!state.exists || !apiKeyMatches(apiKey, state.apiKeyHash)) {
      throw new AutocoderError(ErrorCodes.Unauthenticated, 'the API key is not valid: it is unknown or was rotated by a later registration');
    }
    return { agentId: state.agentId, employeeId: state.profile.employeeId };
  }

  /**
   * Postgres writes the views as JSON; the rows are never hydrated here (see jsonRows). The answer is
   * kept until the agents projection commits again (see ListAnswers); the key is every filter field.
   */
  async list(envelope: QueryEnvelope): Promise<JsonText<AgentView[]>> {
    const filter = parseInput(ListAgentsInput, envelope.payload ?? {}, 'agent filter');
    const { values, bind } = sqlParameters();
    const where: string[] = [];
    if (filter.status) where.push(`a.status = ${bind(filter.status)}`);
    if (filter.ownerEmployeeId) where.push(`a.owner_employee_id = ${bind(filter.ownerEmployeeId)}`);
    if (filter.specialization) where.push(`${bind(filter.specialization)} = ANY(a.specialization_codes)`);
    // Every field of the parsed filter, defaults included, names the query: a new filter field cannot be left out.
    const key = JSON.stringify(filter);
    return this.lists.list<AgentView>(
      key,
      `SELECT row_to_json(v)::text AS json FROM ${this.schema}.agents a CROSS JOIN LATERAL (SELECT ${agentViewColumnsSql('a')}) v
        ${whereSql(where)} ORDER BY a.registered_at, a.agent_id LIMIT ${bind(filter.limit)}`,
      values,
    );
  }

  async get(envelope: QueryEnvelope): Promise<AgentView> {
    const { agentId } = parseInput(GetAgentInput, envelope.payload, 'agent lookup');
    const row = await this.dataSource.getRepository(AgentRow).findOneBy({ agentId });
    if (!row) throw new AutocoderError(ErrorCodes.NotFound, `agent ${agentId} does not exist`);
    return agentViewOfRow(row);
  }

  /**
   * Marks every agent silent for too long as offline. Candidates come from the read model; the
   * decision is taken on the agent's stream. The command id follows from the agent and its last
   * sign of life, so several coordinator instances sweeping at once append one event, not several.
   */
  async sweepOffline(now = new Date()): Promise<number> {
    const cutoff = new Date(now.getTime() - this.settings.offlineAfterSec * 1000);
    const candidates = await this.dataSource
      .getRepository(AgentRow)
      .createQueryBuilder('a')
      .where(`a.status <> 'offline'`)
      .andWhere('GREATEST(a.lastHeartbeatAt, a.registeredAt) <= :cutoff', { cutoff })
      .getMany();
    let marked = 0;
    for (const row of candidates) {
      const { state } = await this.aggregates.load(agentStreamName(row.agentId));
      if (!state.exists) continue;
      const commandId = nameBasedUuid(`agent-offline/${row.agentId}/${lastSeenAt(state)}`);
      const handled = await this.aggregates.handle(
        agentStreamName(row.agentId),
        { type: 'MarkAgentOffline', data: { agentId: row.agentId, offlineAfterSec: this.settings.offlineAfterSec, now: now.toISOString() } },
        { commandId, correlationId: commandId, actor: actorLabel({ kind: 'system', name: 'coordinator' }), time: now.toISOString() },
      );
      if (handled.events.length) {
        marked++;
        this.logger.info({ agentId: row.agentId, lastSeenAt: lastSeenAt(state) }, 'agent missed its heartbeats: marked offline');
      }
    }
    return marked;
  }

  private get schema() {
    return (this.dataSource.options as { schema: string }).schema;
  }

  private context(envelope: CommandEnvelope): CommandContext {
    return {
      commandId: envelope.commandId,
      correlationId: envelope.correlationId,
      actor: actorLabel(envelope.actor),
      time: new Date().toISOString(),
    };
  }

  private answerLost(envelope: CommandEnvelope): never {
    throw new AutocoderError(
      ErrorCodes.CommandAnswerLost,
      `command ${envelope.commandId} was applied before, but its answer was lost when a process stopped; it was not applied again`,
    );
  }
}
