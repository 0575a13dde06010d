import {
  taskIdOfCreateCommand,
  AutocoderError,
  ChangeTaskStatusInput,
  ClaimNextTaskInput,
  ClaimTaskInput,
  CreateTaskInput,
  ErrorCodes,
  GetTaskInput,
  HolderHeartbeatInput,
  HolderReleaseInput,
  HolderStatusInput,
  ListTasksInput,
  ReleaseTaskInput,
  TaskHeartbeatInput,
  actorLabel,
  isAutocoderError,
  nameBasedUuid,
  parseInput,
  taskStreamName,
  type Actor,
  type ClaimResult,
  type CommandEnvelope,
  type ErrorCode,
  type QueryEnvelope,
  type TaskEvent,
  type TaskHeartbeatResult,
  type TaskView,
} from '@autocoder/contracts';
import { contextOf, type AggregateStore, type EventStore } from '@autocoder/eventstore';
import type { CommandLog, CommandOutcome, CommandRun, JsonText, RunOptions } from '@autocoder/messaging';
import type { Logger } from '@autocoder/platform';
import type { DataSource } from 'typeorm';
import { ClaimCandidates } from './claim-candidates';
import type { TaskActor, TaskCommand, TaskState } from './task';
import { claimOf, leaseOf, taskAfterCommand, viewOf, type AnswerOf, type TaskAfterCommand } from './task-history';
import { TaskRow } from './task-row.entity';
import { sqlParameters, whereSql } from '../json-rows';
import { ListAnswers } from '../list-answers';
import { TASKS_PROJECTION } from './tasks-projection';
import { taskViewColumnsSql, taskViewOfState } from './task-view';

/** What the task pipeline needs to know about an agent, read from the agent's own stream. */
export type AgentLookup = (agentId: string) => Promise<{ employeeId: string; specializationCodes: string[] } | null>;

type Agent = Extract<TaskActor, { kind: 'agent' }>;

/** What a task command records with the reservation of its id: the task it is about to write to. */
interface OnTask {
  taskId: string;
}

/** A claim-next candidate someone else took first, or that is no longer claimable: try the next one. */
const LOST_CLAIM: ReadonlySet<ErrorCode> = new Set([
  ErrorCodes.AlreadyClaimed,
  ErrorCodes.InvalidTransition,
  ErrorCodes.DependenciesNotDone,
]);

const now = () => new Date().toISOString();

/** An agent may act only as itself: the employee id it names must be its own. */
function taskActor(actor: Actor, employeeId: string | undefined, what: string): TaskActor {
  if (actor?.kind === 'admin') return { kind: 'admin' };
  if (actor?.kind !== 'agent') throw new AutocoderError(ErrorCodes.Forbidden, `${what} needs an agent API key or the admin token`);
  if (employeeId !== undefined && employeeId !== actor.employeeId) {
    const message = `this API key belongs to employee ${actor.employeeId}; it may not act as employee ${employeeId}`;
    throw new AutocoderError(ErrorCodes.Forbidden, message);
  }
  return { kind: 'agent', agentId: actor.agentId, employeeId: actor.employeeId };
}

/** The holder subjects are the lease holder's: an agent acting under the fencing token of its claim. */
function holder(actor: Actor, employeeId: string, what: string): Agent {
  const who = taskActor(actor, employeeId, what);
  if (who.kind !== 'agent') {
    throw new AutocoderError(ErrorCodes.Forbidden, `${what} on a holder subject is for the agent holding the lease`);
  }
  return who;
}

/**
 * The task pipeline's use cases: load, decide, append; candidates from the tasks read model.
 *
 * Every command that writes to a task reserves its id together with that task (one statement)
 * right before it appends, under the request's command id, and answers with what its events made
 * of the task. That answer is not stored: a retry, or a run that took the id over, reads it back
 * from the task's stream, so it is the same answer however often it is asked.
 */
export class TasksService {
  private readonly candidates: ClaimCandidates;

  constructor(
    private readonly aggregates: AggregateStore<TaskCommand, TaskEvent, TaskState>,
    private readonly store: EventStore,
    private readonly commands: CommandLog,
    private readonly dataSource: DataSource,
    private readonly agents: AgentLookup,
    private readonly logger: Logger,
    /** How far the tasks read model has got (global position), to know which claims it shows. */
    projectedPosition: () => number | null = () => null,
  ) {
    this.candidates = new ClaimCandidates(dataSource, this.schema, projectedPosition);
  }

  async create(subject: string, envelope: CommandEnvelope): Promise<TaskView> {
    if (envelope.actor?.kind !== 'admin' && envelope.actor?.kind !== 'system') {
      throw new AutocoderError(ErrorCodes.Forbidden, 'creating a task needs the admin token');
    }
    const input = parseInput(CreateTaskInput, envelope.payload, 'task');
    // The id follows from the command id: a retried create cannot make a second task.
    const taskId = taskIdOfCreateCommand(envelope.commandId);
    return this.onTask(subject, envelope, taskId, viewOf, async () => {
      if (input.dependsOn.includes(taskId)) throw new AutocoderError(ErrorCodes.ValidationFailed, 'a task cannot depend on itself');
      // Read from the streams, not the read model: a task created a moment ago may be named at once.
      const known = await Promise.all(input.dependsOn.map(async (id) => (await this.aggregates.load(taskStreamName(id))).state.exists));
      const unknown = input.dependsOn.filter((_, i) => !known[i]);
      if (unknown.length) {
        const message = `names tasks that do not exist: ${unknown.join(', ')}`;
        throw new AutocoderError(ErrorCodes.ValidationFailed, `invalid task: dependsOn: ${message}`, [{ path: 'dependsOn', message }]);
      }
      const { status, ...definition } = input;
      return { type: 'CreateTask', data: { ...definition, taskId, status, now: now() } };
    });
  }

  async claim(subject: string, envelope: CommandEnvelope): Promise<ClaimResult> {
    const input = parseInput(ClaimTaskInput, envelope.payload, 'claim');
    const actor = this.claimer(envelope.actor, input.employeeId);
    const claimed = await this.onTask(subject, envelope, input.taskId, claimOf, async () => {
      const agent = await this.agents(actor.agentId);
      if (!agent) throw new AutocoderError(ErrorCodes.Unauthenticated, `agent ${actor.agentId} is not registered`);
      const task = await this.aggregates.load(taskStreamName(input.taskId));
      const dependsOn = task.state.exists ? task.state.dependsOn : [];
      const states = await Promise.all(dependsOn.map(async (id) => (await this.aggregates.load(taskStreamName(id))).state));
      const pending = dependsOn.filter((_, i) => !states[i].exists || (states[i] as { status: string }).status !== 'done');
      return this.claimCommand(input.taskId, actor, agent.specializationCodes, input.leaseTtlSec, input.override, pending, envelope);
    }, (position) => this.candidates.claimed(input.taskId, position));
    this.logClaim(claimed, actor);
    return claimed;
  }

  /**
   * Claims the best ready task for the agent's specializations (priority, then age; dependencies
   * done): candidates come from the read model, the claim is decided on each task's stream, and a
   * candidate someone else took first is skipped. The request is one command: every task it tries
   * is recorded with its reservation before the claim is appended under the request's command id,
   * so a retry (the answer lost, the process gone) answers with the task the request claimed.
   */
  async claimNext(subject: string, envelope: CommandEnvelope): Promise<ClaimResult | null> {
    const input = parseInput(ClaimNextTaskInput, envelope.payload, 'claim-next');
    const actor = this.claimer(envelope.actor, input.employeeId);
    return this.commands.run(subject, envelope, (run) => this.claimBest(run, input, actor, envelope), this.readBack(envelope, claimOf));
  }

  private async claimBest(run: CommandRun, input: ClaimNextTaskInput, actor: Agent, envelope: CommandEnvelope) {
    // A run that took the request over first looks at the task the stopped run was claiming.
    const resumedOn = (run.resumed?.progress as OnTask | null)?.taskId;
    if (resumedOn) {
      const after = await taskAfterCommand(this.store, resumedOn, envelope.commandId);
      if (after) return { value: claimOf(after), answeredByEvents: true };
    }
    const agent = await this.agents(actor.agentId);
    if (!agent || agent.specializationCodes.length === 0) return { value: null };
    const tried = new Set<string>();
    const attempt = async (taskId: string) => {
      tried.add(taskId);
      // The read model listed it with its dependencies done, and done is final: none is pending.
      const claim = () => this.claimCommand(taskId, actor, agent.specializationCodes, input.leaseTtlSec, false, [], envelope);
      const claimed = await this.tryClaim(run, taskId, claim, envelope);
      if (claimed) this.logClaim(claimed.value, actor);
      return claimed;
    };
    if (resumedOn) {
      this.candidates.take(resumedOn);
      const claimed = await attempt(resumedOn);
      if (claimed) return claimed;
    }
    for (;;) {
      const taskId = await this.candidates.next(agent.specializationCodes, input.projectId, tried);
      if (taskId === null) return { value: null };
      const claimed = await attempt(taskId);
      if (claimed) return claimed;
    }
  }

  /** The claim of a task taken from the candidates; null when someone else took it first, or it is no longer claimable. */
  private async tryClaim(run: CommandRun, taskId: string, command: () => TaskCommand, envelope: CommandEnvelope) {
    let position: number | null = null;
    try {
      await run.fence({ taskId } satisfies OnTask);
      const outcome = await this.apply(taskId, command(), envelope, claimOf);
      position = outcome.position;
      return outcome;
    } catch (error) {
      if (isAutocoderError(error) && LOST_CLAIM.has(error.code)) return null;
      throw error;
    } finally {
      this.candidates.done(taskId, position);
    }
  }

  async heartbeat(subject: string, envelope: CommandEnvelope): Promise<TaskHeartbeatResult> {
    return this.extendLease(subject, envelope, parseInput(TaskHeartbeatInput, envelope.payload, 'task heartbeat'));
  }

  async holderHeartbeat(subject: string, envelope: CommandEnvelope): Promise<TaskHeartbeatResult> {
    const input = parseInput(HolderHeartbeatInput, envelope.payload, 'task heartbeat');
    holder(envelope.actor, input.employeeId, 'a task heartbeat');
    return this.extendLease(subject, envelope, input);
  }

  async release(subject: string, envelope: CommandEnvelope): Promise<TaskView> {
    return this.releaseTask(subject, envelope, parseInput(ReleaseTaskInput, envelope.payload, 'release'));
  }

  async holderRelease(subject: string, envelope: CommandEnvelope): Promise<TaskView> {
    const input = parseInput(HolderReleaseInput, envelope.payload, 'release');
    holder(envelope.actor, input.employeeId, 'releasing a task');
    return this.releaseTask(subject, envelope, input);
  }

  async changeStatus(subject: string, envelope: CommandEnvelope): Promise<TaskView> {
    return this.moveTask(subject, envelope, parseInput(ChangeTaskStatusInput, envelope.payload, 'status change'));
  }

  async holderChangeStatus(subject: string, envelope: CommandEnvelope): Promise<TaskView> {
    const input = parseInput(HolderStatusInput, envelope.payload, 'status change');
    holder(envelope.actor, input.employeeId, 'changing a task status');
    return this.moveTask(subject, envelope, input);
  }

  private extendLease(subject: string, envelope: CommandEnvelope, input: TaskHeartbeatInput) {
    const actor = taskActor(envelope.actor, input.employeeId, 'a task heartbeat');
    const { taskId, fencingToken } = input;
    const extend = async (): Promise<TaskCommand> => ({ type: 'ExtendLease', data: { taskId, actor, fencingToken, now: now() } });
    return this.onTask(subject, envelope, taskId, leaseOf, extend);
  }

  private releaseTask(subject: string, envelope: CommandEnvelope, input: ReleaseTaskInput) {
    const actor = taskActor(envelope.actor, input.employeeId, 'releasing a task');
    const { taskId, fencingToken } = input;
    const reason = input.reason ?? null;
    const release = async (): Promise<TaskCommand> => ({ type: 'ReleaseTask', data: { taskId, actor, reason, fencingToken, now: now() } });
    return this.onTask(subject, envelope, taskId, viewOf, release);
  }

  private moveTask(subject: string, envelope: CommandEnvelope, input: ChangeTaskStatusInput) {
    const actor = taskActor(envelope.actor, input.employeeId, 'changing a task status');
    const { taskId, fencingToken, status: to } = input;
    const reason = input.blocker ?? input.reason ?? null;
    const move = async (): Promise<TaskCommand> => ({
      type: 'ChangeTaskStatus',
      data: { taskId, actor, to, reason, fencingToken, now: now() },
    });
    return this.onTask(subject, envelope, taskId, viewOf, move);
  }

  /**
   * A command that writes to one task: `prepare` reads what the decision needs (it must not write),
   * then the id is reserved with the task, and the decision is appended to the task's stream.
   */
  private onTask<T>(
    subject: string,
    envelope: CommandEnvelope,
    taskId: string,
    answer: AnswerOf<T>,
    prepare: () => Promise<TaskCommand>,
    applied?: (position: number | null) => void,
  ) {
    const execute = async (run: CommandRun): Promise<CommandOutcome<T>> => {
      const command = await prepare();
      await run.fence({ taskId } satisfies OnTask);
      if (run.resumed) {
        // The run it took over may have written before it stopped.
        const after = await taskAfterCommand(this.store, taskId, envelope.commandId);
        if (after) return { value: answer(after), answeredByEvents: true };
      }
      const outcome = await this.apply(taskId, command, envelope, answer);
      applied?.(outcome.position);
      return outcome;
    };
    return this.commands.run(subject, envelope, execute, this.readBack(envelope, answer));
  }

  /** Task commands reserve their id as they write, and answer with what their events made of the task. */
  private readBack<T>(envelope: CommandEnvelope, answer: AnswerOf<T>): RunOptions<T> {
    return {
      reserve: 'first-fence',
      recover: async (progress) => {
        const after = await taskAfterCommand(this.store, (progress as OnTask).taskId, envelope.commandId);
        return after && { value: answer(after) };
      },
    };
  }

  /** Decides on the task's stream and appends; answers with the task as the command left it. */
  private async apply<T>(taskId: string, command: TaskCommand, envelope: CommandEnvelope, answer: AnswerOf<T>) {
    const handled = await this.aggregates.handle(taskStreamName(taskId), command, contextOf(envelope));
    if (handled.alreadyApplied) {
      // Written before, by a run whose answer was lost or that lost the id: answer as it did.
      const after = await taskAfterCommand(this.store, taskId, envelope.commandId);
      if (!after) {
        const message = `command ${envelope.commandId} was applied before, but its events cannot be read back`;
        throw new AutocoderError(ErrorCodes.CommandAnswerLost, message);
      }
      return { value: answer(after), answeredByEvents: true, position: null };
    }
    const after = { state: handled.state as TaskAfterCommand['state'], revision: handled.revision! };
    return { value: answer(after), answeredByEvents: handled.events.length > 0, position: handled.position };
  }

  private claimCommand(
    taskId: string,
    actor: Agent,
    agentSpecializations: string[],
    leaseTtlSec: number,
    override: boolean,
    pendingDependencies: string[],
    envelope: CommandEnvelope,
  ): TaskCommand {
    const { agentId, employeeId } = actor;
    const leaseId = nameBasedUuid(`lease/${envelope.commandId}`);
    const data = { taskId, agentId, employeeId, agentSpecializations, override, leaseTtlSec, leaseId, pendingDependencies, now: now() };
    return { type: 'ClaimTask', data };
  }

  private claimer(actor: Actor, employeeId: string): Agent {
    const who = taskActor(actor, employeeId, 'claiming a task');
    if (who.kind !== 'agent') throw new AutocoderError(ErrorCodes.Forbidden, 'tasks are claimed by agents, with their own API key');
    return who;
  }

  private logClaim(claimed: ClaimResult, actor: Agent) {
    const { task, fencingToken, leaseExpiresAt } = claimed;
    this.logger.info({ taskId: task.taskId, employeeId: actor.employeeId, fencingToken, leaseExpiresAt }, 'task claimed');
  }

  /** Postgres writes the views as JSON (see jsonRows), kept until the tasks projection commits again (see ListAnswers). */
  async list(envelope: QueryEnvelope): Promise<JsonText<TaskView[]>> {
    const filter = parseInput(ListTasksInput, envelope.payload ?? {}, 'task filter');
    const { values, bind } = sqlParameters();
    const where: string[] = [];
    if (filter.status) where.push(`t.status = ${bind(filter.status)}`);
    if (filter.projectId) where.push(`t.project_id = ${bind(filter.projectId)}`);
    if (filter.specialization) where.push(`t.required_specialization_code = ${bind(filter.specialization)}`);
    if (filter.assigneeId) where.push(`t.assignee_id = ${bind(filter.assigneeId)}`);
    // Every field of the parsed filter, defaults included, names the query: a new filter field cannot be left out.
    const key = JSON.stringify(filter);
    return this.lists.list<TaskView>(
      key,
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
  async expireLeases(at = new Date()): Promise<number> {
    const due = await this.rows.createQueryBuilder('t').where('t.leaseExpiresAt <= :at', { at }).getMany();
    const actor = actorLabel({ kind: 'system', name: 'coordinator' });
    let expired = 0;
    for (const row of due) {
      const commandId = nameBasedUuid(`lease-expiry/${row.leaseId}/${row.leaseExpiresAt!.toISOString()}`);
      const handled = await this.aggregates.handle(
        taskStreamName(row.taskId),
        { type: 'ExpireLease', data: { taskId: row.taskId, now: at.toISOString() } },
        { commandId, correlationId: commandId, actor, time: at.toISOString() },
      );
      if (handled.events.length) {
        expired++;
        this.logger.info({ taskId: row.taskId, leaseId: row.leaseId, assigneeId: row.assigneeId }, 'lease expired: task back to ready');
      }
    }
    return expired;
  }

  private listAnswers?: ListAnswers;
  private get lists() {
    return (this.listAnswers ??= new ListAnswers(this.dataSource, this.schema, TASKS_PROJECTION));
  }

  private get rows() {
    return this.dataSource.getRepository(TaskRow);
  }

  private get schema() {
    return (this.dataSource.options as { schema: string }).schema;
  }
}
