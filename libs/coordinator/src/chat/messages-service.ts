import {
  AutocoderError,
  ErrorCodes,
  ListMessagesInput,
  PostMessageInput,
  nameBasedUuid,
  parseInput,
  taskStreamName,
  threadStreamName,
  type Actor,
  type CommandEnvelope,
  type MessagePosted,
  type MessageView,
  type QueryEnvelope,
  type TaskEvent,
  type ThreadEvent,
} from '@autocoder/contracts';
import { contextOf, isStreamNotFound, type AggregateStore, type EventStore } from '@autocoder/eventstore';
import type { CommandLog, JsonText } from '@autocoder/messaging';
import type { Logger } from '@autocoder/platform';
import type { DataSource } from 'typeorm';
import { sqlParameters, whereSql } from '../json-rows';
import { ListAnswers } from '../list-answers';
import { MESSAGES_PROJECTION } from './messages-projection';
import { messageViewColumnsSql, messageViewOfEvent } from './message-view';
import type { ChatActor, ThreadCommand, ThreadState } from './thread';

/** Resolves once the read model holds everything up to a global position (or gives up quietly). */
export type AwaitProjection = (position: number) => Promise<void>;

/** Chat and planning are written by the admin or by agents; never by an unnamed caller. */
export function chatActor(actor: Actor, what: string): ChatActor {
  if (actor?.kind === 'admin') return { kind: 'admin' };
  if (actor?.kind === 'agent') return { kind: 'agent', agentId: actor.agentId, employeeId: actor.employeeId };
  throw new AutocoderError(ErrorCodes.Forbidden, `${what} needs an agent API key or the admin token`);
}

/** The coordination chat's use cases: post to a thread's stream; list from the messages read model. */
export class MessagesService {
  constructor(
    private readonly aggregates: AggregateStore<ThreadCommand, ThreadEvent, ThreadState>,
    private readonly store: EventStore,
    private readonly commands: CommandLog,
    private readonly dataSource: DataSource,
    private readonly awaitProjection: AwaitProjection,
    private readonly logger: Logger,
  ) {}

  private listAnswers?: ListAnswers;
  private get lists() {
    return (this.listAnswers ??= new ListAnswers(this.dataSource, this.schema, MESSAGES_PROJECTION));
  }

  private get schema() {
    return (this.dataSource.options as { schema: string }).schema;
  }

  /**
   * Appends a MessagePosted to `thread-<threadId>`. The message id follows from the command id, so a
   * retried post answers with the same message instead of adding one. The answer comes once the
   * read model holds the message, so the poster's next list shows it.
   */
  async post(subject: string, envelope: CommandEnvelope): Promise<MessageView> {
    const actor = chatActor(envelope.actor, 'posting a message');
    const input = parseInput(PostMessageInput, envelope.payload, 'message');
    return this.commands.run(subject, envelope, async () => {
      const messageId = nameBasedUuid(`message/${envelope.commandId}`);
      const taskId = input.taskId ?? null;
      const stream = threadStreamName(input.threadId);
      const handled = await this.aggregates.handle(
        stream,
        {
          type: 'PostMessage',
          data: {
            messageId,
            threadId: input.threadId,
            projectId: input.projectId ?? null,
            taskId,
            taskProjectId: taskId ? await this.projectOfTask(taskId) : null,
            senderId: input.senderId,
            messageType: input.messageType,
            payload: input.payload,
            actor,
            now: new Date().toISOString(),
          },
        },
        contextOf(envelope),
      );
      if (handled.alreadyApplied) return { value: await this.postedBefore(stream, messageId, envelope.commandId) };
      const [event] = handled.events;
      const view = messageViewOfEvent(event.data, handled.revision!);
      this.logger.info({ messageId, threadId: view.threadId, projectId: view.projectId, senderId: view.senderId, messageType: view.messageType }, 'message posted');
      if (handled.position !== null) await this.awaitProjection(handled.position);
      return { value: view };
    });
  }

  /** Messages by thread, project and/or task (all given must match), posted strictly after `since`, oldest first. */
  /** Postgres writes the views as JSON (see jsonRows), kept until the messages projection commits again (see ListAnswers). */
  async list(envelope: QueryEnvelope): Promise<JsonText<MessageView[]>> {
    const filter = parseInput(ListMessagesInput, envelope.payload ?? {}, 'message filter');
    if (!filter.threadId && !filter.projectId && !filter.taskId) {
      throw new AutocoderError(ErrorCodes.ValidationFailed, 'a message query needs at least one of: thread id, project id, task id');
    }
    const { values, bind } = sqlParameters();
    const where: string[] = [];
    if (filter.threadId) where.push(`m.thread_id = ${bind(filter.threadId)}`);
    if (filter.projectId) where.push(`m.project_id = ${bind(filter.projectId)}`);
    if (filter.taskId) where.push(`m.task_id = ${bind(filter.taskId)}`);
    // Compared in the database, so a timestamp with microseconds keeps them.
    if (filter.since) where.push(`m.posted_at > CAST(${bind(filter.since)} AS timestamptz)`);
    // Every field of the parsed filter, defaults included, names the query: a new filter field cannot be left out.
    const key = JSON.stringify(filter);
    return this.lists.list<MessageView>(
      key,
      `SELECT row_to_json(v)::text AS json FROM ${this.schema}.messages m CROSS JOIN LATERAL (SELECT ${messageViewColumnsSql('m')}) v
        ${whereSql(where)} ORDER BY m.posted_at, m.position LIMIT ${bind(filter.limit)}`,
      values,
    );
  }

  /** The project a task belongs to, from its creation event; null when there is no such task. */
  private async projectOfTask(taskId: string): Promise<string | null> {
    try {
      const [first] = await this.store.readStream(taskStreamName(taskId), { fromRevision: 0, maxCount: 1 });
      const event = first ? ({ type: first.type, data: first.data } as TaskEvent) : null;
      return event?.type === 'TaskCreated' ? event.data.projectId : null;
    } catch (error) {
      if (isStreamNotFound(error)) return null;
      throw error;
    }
  }

  /** The command ran before but its answer was lost with a process: find the message it posted. */
  private async postedBefore(stream: string, messageId: string, commandId: string): Promise<MessageView> {
    const events = await this.store.readStream(stream);
    const event = events.find((e) => e.type === 'MessagePosted' && (e.data as MessagePosted['data']).messageId === messageId);
    if (!event) throw new AutocoderError(ErrorCodes.CommandAnswerLost, `command ${commandId} was applied before, but its message cannot be found`);
    return messageViewOfEvent(event.data as MessagePosted['data'], event.revision);
  }
}
