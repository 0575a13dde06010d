import {
  AutocoderError,
  ChangeTaskStatusInput,
  ClaimNextTaskInput,
  ClaimTaskInput,
  CreateTaskInput,
  ErrorCodes,
  GetTaskInput,
  ListTasksInput,
  ReleaseTaskInput,
  TaskHeartbeatInput,
  actorLabel,
  nameBasedUuid,
  parseInput,
  taskStreamName,
  type Actor,
  type ClaimResult,
  type CommandEnvelope,
  type QueryEnvelope,
  type TaskEvent,
  type TaskHeartbeatResult,
  type TaskView,
} from '@autocoder/contracts';
import type { AggregateStore, CommandContext, Handled } from '@autocoder/eventstore';
import type { CommandLog, JsonText } from '@autocoder/messaging';
import type { Logger } from '@autocoder/platform';
import type { DataSource } from 'typeorm';
import type { TaskActor, TaskCommand, TaskState } from './task';
import { TaskRow } from './task-row.entity';
import { jsonRows, sqlParameters, whereSql } from '../json-rows';
import { taskViewColumnsSql, taskViewOfState } from './task-view';

type Existing = Extract<TaskState, { exists: true }>;

/** What the task pipeline needs to know about an agent, read from the agent's own stream. */
export type AgentLookup = (agentId: string) => Promise<{ employeeId: string; specializationCodes: string[] } | null>;

const contextOf = (envelope: CommandEnvelope, commandId = envelope.commandId): CommandContext => ({
  commandId,
  correlationId: envelope.correlationId,
  actor: actorLabel(envelope.actor),
  time: new Date().toISOString(),
});

/** An agent may act only as itself: the employee id it names must be its own. */
function taskActor(actor: Actor, employeeId: string | undefined, what: string): TaskActor {
  if (actor?.kind === 'admin') return { kind: 'admin' };
  if (actor?.kind !== 'agent') throw new AutocoderError(ErrorCodes.Forbidden, `${what} needs an agent API key or the admin token`);
  if (employeeId !== undefined && employeeId !== actor.employeeId) {
    throw new AutocoderError(ErrorCodes.Forbidden, `this API key belongs to employee ${actor.employeeId}; it may not act as employee ${employeeId}`);
  }
  return { kind: 'agent', agentId: actor.agentId, employeeId: actor.employeeId };
}

/** The task pipeline's use cases: load, decide, append; reads from the tasks read model. */
export class TasksService {
  /** Tasks claim-next requests of this instance are trying right now, and how many of them. */
  private readonly claiming = new Map<string, number>();
  /** Tasks this instance claimed whose claim the read model may not show yet, with the claim's position. */
  private readonly recentlyClaimed = new Map<string, number>();

  constructor(
    private readonly aggregates: AggregateStore<TaskCommand, TaskEvent, TaskState>,
    private readonly commands: CommandLog,
    private readonly dataSource: DataSource,
    private readonly agents: AgentLookup,
    private readonly logger: Logger,
    /** How far the tasks read model has got (global position), to know which claims it shows. */
    private readonly projectedPosition: () => number | null = () => null,
  ) {}

  /** Still ready in the read model only because it lags: candidates nobody should try again. */
  private claimedNotYetProjected(): string[] {
    const projected = this.projectedPosition() ?? -1;
    for (const [taskId, position] of this.recentlyClaimed) if (position <= projected) this.recentlyClaimed.delete(taskId);
    return [...this.recentlyClaimed.keys()];
  }

  private get rows() {
    return this.dataSource.getRepository(TaskRow);
  }

  private handled(handled: Handled<TaskState, TaskEvent>, envelope: CommandEnvelope): TaskView {
    if (handled.alreadyApplied) {
      throw new AutocoderError(ErrorCodes.CommandAnswerLost, `command ${envelope.commandId} was applied before, but its answer was lost when a process stopped`);
    }
    return taskViewOfState(handled.state as Existing, handled.revision!);
  }

  async create(subject: string, envelope: CommandEnvelope): Promise<TaskView> {
    if (envelope.actor?.kind !== 'admin' && envelope.actor?.kind !== 'system') {
      throw new AutocoderError(ErrorCodes.Forbidden, 'creating a task needs the admin token');
    }
    const input = parseInput(CreateTaskInput, envelope.payload, 'task');
    return this.commands.run(subject, envelope, async () => {
      // The id follows from the command id: a retried create cannot make a second task.
      const taskId = nameBasedUuid(`task/${envelope.commandId}`);
      if (input.dependsOn.includes(taskId)) throw new AutocoderError(ErrorCodes.ValidationFailed, 'a task cannot depend on itself');
      // Read from the streams, not the read model: a task created a moment ago may be named at once.
      const loaded = await Promise.all(input.dependsOn.map(async (id) => ({ id, exists: (await this.aggregates.load(taskStreamName(id))).state.exists })));
      const unknown = loaded.filter((d) => !d.exists).map((d) => d.id);
      if (unknown.length) {
        throw new AutocoderError(ErrorCodes.ValidationFailed, `invalid task: dependsOn: names tasks that do not exist: ${unknown.join(', ')}`, [
          { path: 'dependsOn', message: `names tasks that do not exist: ${unknown.join(', ')}` },
        ]);
      }
      const { status, ...definition } = input;
      const handled = await this.aggregates.handle(taskStreamName(taskId), { type: 'CreateTask', data: { ...definition, taskId, status, now: new Date().toISOString() } }, contextOf(envelope));
      return { value: this.handled(handled, envelope) };
    });
  }

  async claim(subject: string, envelope: CommandEnvelope): Promise<ClaimResult> {
    const input = parseInput(ClaimTaskInput, envelope.payload, 'claim');
    const actor = this.claimer(envelope.actor, input.employeeId);
    return this.commands.run(subject, envelope, async () => ({ value: await this.claimOne(input.taskId, actor, input.leaseTtlSec, input.override, envelope, envelope.commandId) }));
  }

  /**
   * Claims the best ready task for the agent's specializations (priority, then age; dependencies
   * done), atomically: candidates come from the read model, the claim is decided on each task's
   * stream, and a candidate someone else took first is skipped.
   */
  async claimNext(subject: string, envelope: CommandEnvelope): Promise<ClaimResult | null> {
    const input = parseInput(ClaimNextTaskInput, envelope.payload, 'claim-next');
    const actor = this.claimer(envelope.actor, input.employeeId);
    return this.commands.run(subject, envelope, async () => {
      const agent = await this.agents(actor.agentId);
      if (!agent || agent.specializationCodes.length === 0) return { value: null };
      const tried = new Set<string>();
      for (;;) {
        // The best tasks nobody in this instance is claiming right now; if every ready task is being
        // claimed here, those too (their claims may fail). Null only when no untried task is ready.
        const free = await this.readyCandidates(agent.specializationCodes, input.projectId, [...tried, ...this.claiming.keys(), ...this.claimedNotYetProjected()]);
        const candidates = free.length ? free : await this.readyCandidates(agent.specializationCodes, input.projectId, [...tried]);
        if (candidates.length === 0) return { value: null };
        for (const candidate of candidates) {
          // Taken up, or taken, here since the query ran.
          if (free.length && (this.claiming.has(candidate.taskId) || this.recentlyClaimed.has(candidate.taskId))) continue;
          tried.add(candidate.taskId);
          this.claiming.set(candidate.taskId, (this.claiming.get(candidate.taskId) ?? 0) + 1);
          try {
            // Each attempt is its own command on its own stream, named after the request.
            const commandId = nameBasedUuid(`${envelope.commandId}/${candidate.taskId}`);
            const claimed = await this.claimOne(candidate.taskId, actor, input.leaseTtlSec, false, envelope, commandId, agent);
            return { value: claimed };
          } catch (error) {
            const lost = error instanceof AutocoderError && [ErrorCodes.AlreadyClaimed, ErrorCodes.InvalidTransition, ErrorCodes.DependenciesNotDone].includes(error.code as never);
            if (!lost) throw error;
          } finally {
            const holders = this.claiming.get(candidate.taskId)! - 1;
            if (holders) this.claiming.set(candidate.taskId, holders);
            else this.claiming.delete(candidate.taskId);
          }
        }
      }
    });
  }

  /** Ready tasks for these specializations whose dependencies are done: priority, then age. */
  private readyCandidates(codes: string[], projectId: string | undefined, excluded: string[]) {
    const query = this.rows
      .createQueryBuilder('t')
      .where(`t.status = 'ready'`)
      .andWhere('t.requiredSpecializationCode IN (:...codes)', { codes })
      .andWhere(`NOT EXISTS (SELECT 1 FROM unnest(t.depends_on) AS d(id) LEFT JOIN ${this.schema}.tasks x ON x.task_id = d.id WHERE x.status IS DISTINCT FROM 'done')`)
      .orderBy('t.priority', 'ASC')
      .addOrderBy('t.createdAt', 'ASC')
      .addOrderBy('t.taskId', 'ASC')
      // Enough that concurrent requests, each taking the first one still free, rarely run out.
      .limit(50);
    if (excluded.length) query.andWhere('NOT (t.taskId = ANY(:excluded::uuid[]))', { excluded });
    if (projectId) query.andWhere('t.projectId = :projectId', { projectId });
    return query.getMany();
  }

  private claimer(actor: Actor, employeeId: string) {
    const who = taskActor(actor, employeeId, 'claiming a task');
    if (who.kind !== 'agent') throw new AutocoderError(ErrorCodes.Forbidden, 'tasks are claimed by agents, with their own API key');
    return who;
  }

  private async claimOne(
    taskId: string,
    actor: Extract<TaskActor, { kind: 'agent' }>,
    leaseTtlSec: number,
    override: boolean,
    envelope: CommandEnvelope,
    commandId: string,
    known?: { specializationCodes: string[] },
  ): Promise<ClaimResult> {
    const agent = known ?? (await this.agents(actor.agentId));
    if (!agent) throw new AutocoderError(ErrorCodes.Unauthenticated, `agent ${actor.agentId} is not registered`);
    const task = await this.aggregates.load(taskStreamName(taskId));
    const dependsOn = task.state.exists ? task.state.dependsOn : [];
    const dependencies = await Promise.all(dependsOn.map(async (id) => ({ id, state: (await this.aggregates.load(taskStreamName(id))).state })));
    const pendingDependencies = dependencies.filter((d) => !d.state.exists || d.state.status !== 'done').map((d) => d.id);
    const handled = await this.aggregates.handle(
      taskStreamName(taskId),
      {
        type: 'ClaimTask',
        data: {
          taskId,
          agentId: actor.agentId,
          employeeId: actor.employeeId,
          agentSpecializations: agent.specializationCodes,
          override,
          leaseTtlSec,
          leaseId: nameBasedUuid(`lease/${commandId}`),
          pendingDependencies,
          now: new Date().toISOString(),
        },
      },
      contextOf(envelope, commandId),
    );
    const view = this.handled(handled, envelope);
    if (handled.position !== null) this.recentlyClaimed.set(taskId, handled.position);
    this.logger.info({ taskId, employeeId: actor.employeeId, fencingToken: view.fencingToken, leaseExpiresAt: view.leaseExpiresAt }, 'task claimed');
    return { task: view, leaseExpiresAt: view.leaseExpiresAt!, fencingToken: view.fencingToken! };
  }

  async heartbeat(subject: string, envelope: CommandEnvelope): Promise<TaskHeartbeatResult> {
    const input = parseInput(TaskHeartbeatInput, envelope.payload, 'task heartbeat');
    const actor = taskActor(envelope.actor, input.employeeId, 'a task heartbeat');
    return this.commands.run(subject, envelope, async () => {
      const handled = await this.aggregates.handle(taskStreamName(input.taskId), { type: 'ExtendLease', data: { taskId: input.taskId, actor, fencingToken: input.fencingToken, now: new Date().toISOString() } }, contextOf(envelope));
      const view = this.handled(handled, envelope);
      return { value: { taskId: view.taskId, leaseExpiresAt: view.leaseExpiresAt!, fencingToken: view.fencingToken! } };
    });
  }

  async release(subject: string, envelope: CommandEnvelope): Promise<TaskView> {
    const input = parseInput(ReleaseTaskInput, envelope.payload, 'release');
    const actor = taskActor(envelope.actor, input.employeeId, 'releasing a task');
    return this.commands.run(subject, envelope, async () => {
      const handled = await this.aggregates.handle(
        taskStreamName(input.taskId),
        { type: 'ReleaseTask', data: { taskId: input.taskId, actor, reason: input.reason ?? null, fencingToken: input.fencingToken, now: new Date().toISOString() } },
        contextOf(envelope),
      );
      return { value: this.handled(handled, envelope) };
    });
  }

  async changeStatus(subject: string, envelope: CommandEnvelope): Promise<TaskView> {
    const input = parseInput(ChangeTaskStatusInput, envelope.payload, 'status change');
    const actor = taskActor(envelope.actor, input.employeeId, 'changing a task status');
    return this.commands.run(subject, envelope, async () => {
      const handled = await this.aggregates.handle(
        taskStreamName(input.taskId),
        { type: 'ChangeTaskStatus', data: { taskId: input.taskId, actor, to: input.status, reason: input.blocker ?? input.reason ?? null, fencingToken: input.fencingToken, now: new Date().toISOString() } },
        contextOf(envelope),
      );
      return { value: this.handled(handled, envelope) };
    });
  }

  /** Postgres writes the views as JSON; the rows are never hydrated here (see jsonRows). */
  async list(envelope: QueryEnvelope): Promise<JsonText<TaskView[]>> {
    const filter = parseInput(ListTasksInput, envelope.payload ?? {}, 'task filter');
    const { values, bind } = sqlParameters();
    const where: string[] = [];
    if (filter.status) where.push(`t.status = ${bind(filter.status)}`);
    if (filter.projectId) where.push(`t.project_id = ${bind(filter.projectId)}`);
    if (filter.specialization) where.push(`t.required_specialization_code = ${bind(filter.specialization)}`);
    if (filter.assigneeId) where.push(`t.assignee_id = ${bind(filter.assigneeId)}`);
    return jsonRows<TaskView>(
      this.dataSource,
      `SELECT row_to_json(v)::text AS json FROM ${this.schema}.tasks t CROSS JOIN LATERAL (SELECT ${taskViewColumnsSql('t')}) v
        ${whereSql(where)} ORDER BY t.priority, t.created_at, t.task_id LIMIT ${bind(filter.limit)}`,
      values,
    );
  }

  /** Reads the task's own stream, so a caller sees its own writes at once. */
  async get(envelope: QueryEnvelope): Promise<TaskView> {
    const { taskId } = parseInput(GetTaskInput, envelope.payload, 'task lookup');
    const { state, revision } = await this.aggregates.load(taskStreamName(taskId));
    if (!state.exists) throw new AutocoderError(ErrorCodes.NotFound, `task ${taskId} does not exist`);
    return taskViewOfState(state, revision!);
  }

  /**
   * Returns every task whose lease ran out to ready with a LeaseExpired event. Candidates come from
   * the read model (deadlines survive restarts because they are rebuilt from events); the decision
   * is taken on the stream; the command id follows from the lease and its deadline, so several
   * coordinator instances expiring at once append one event.
   */
  async expireLeases(now = new Date()): Promise<number> {
    const due = await this.rows.createQueryBuilder('t').where('t.leaseExpiresAt <= :now', { now }).getMany();
    let expired = 0;
    for (const row of due) {
      const commandId = nameBasedUuid(`lease-expiry/${row.leaseId}/${row.leaseExpiresAt!.toISOString()}`);
      const handled = await this.aggregates.handle(
        taskStreamName(row.taskId),
        { type: 'ExpireLease', data: { taskId: row.taskId, now: now.toISOString() } },
        { commandId, correlationId: commandId, actor: actorLabel({ kind: 'system', name: 'coordinator' }), time: now.toISOString() },
      );
      if (handled.events.length) {
        expired++;
        this.logger.info({ taskId: row.taskId, leaseId: row.leaseId, assigneeId: row.assigneeId }, 'lease expired: task back to ready');
      }
    }
    return expired;
  }

  private get schema() {
    return (this.dataSource.options as { schema: string }).schema;
  }
}
