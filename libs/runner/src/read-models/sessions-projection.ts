import { addUsage, emptyUsage, type RunEvent, type SessionEvent, type SessionKind, type SessionOutcome, type SessionView } from '@autocoder/contracts';
import { HandlerProjection, type EventHandlers, type Recorded } from '@autocoder/projections';
import { In, type EntityManager } from 'typeorm';
import { columnsOfUsage, dateOf, dateOrNull, isoOf, isoOrNull, usageOfColumns } from './row-columns';
import { RowBatch } from './row-batch';
import type { EventsOf, IgnoredEvents } from './runner-events';
import { SessionRow } from './session-row.entity';

/** A session as its row holds it: project and model are known once the session started. */
export type SessionRecord = Omit<SessionView, 'projectId' | 'model'> & { projectId: string | null; model: string | null };

export type SessionsEvent =
  | EventsOf<RunEvent, 'RunSessionOpened' | 'RunSessionClosed'>
  | EventsOf<SessionEvent, 'SessionStarted' | 'ModelCallCompleted' | 'ToolCalled' | 'SessionEnded'>;
type SessionsBatch = RowBatch<SessionRecord>;

/** A session the batch meets first in its own stream (its run's RunSessionOpened comes later, or never). */
const unopened = (sessionId: string, runId: string, kind: SessionKind, startedAt: string): SessionRecord => ({
  sessionId,
  runId,
  projectId: null,
  number: 0,
  kind,
  featureId: null,
  taskId: null,
  model: null,
  turns: 0,
  toolCalls: 0,
  usage: emptyUsage(),
  outcome: null,
  reason: null,
  startedAt,
  endedAt: null,
});

export const sessionsHandlers: EventHandlers<SessionsEvent, SessionsBatch> = {
  RunSessionOpened: ({ data }, batch) =>
    batch.set(data.sessionId, {
      ...(batch.get(data.sessionId) ?? unopened(data.sessionId, data.runId, data.kind, data.openedAt)),
      number: data.number,
      kind: data.kind,
      featureId: data.featureId,
      taskId: data.taskId,
    }),
  SessionStarted: ({ data }, batch) =>
    batch.set(data.sessionId, {
      ...(batch.get(data.sessionId) ?? unopened(data.sessionId, data.runId, data.kind, data.startedAt)),
      projectId: data.projectId,
      model: data.model,
      kind: data.kind,
      featureId: data.featureId,
      taskId: data.taskId,
      startedAt: data.startedAt,
    }),
  ModelCallCompleted: ({ data }, batch) =>
    batch.update(data.sessionId, (s) => ({ ...s, turns: Math.max(s.turns, data.turn + 1), usage: addUsage(s.usage, data.usage) })),
  ToolCalled: ({ data }, batch) => batch.update(data.sessionId, (s) => ({ ...s, toolCalls: s.toolCalls + 1 })),
  SessionEnded: ({ data }, batch) => batch.update(data.sessionId, (s) => ({ ...s, outcome: data.outcome, reason: data.reason, endedAt: data.endedAt })),
  // The run closes a session that ended itself, or one that died without saying so (its lease lost).
  RunSessionClosed: ({ data }, batch) =>
    batch.update(data.sessionId, (s) => (s.outcome ? s : { ...s, outcome: data.outcome, endedAt: s.endedAt ?? data.closedAt })),
};

export const sessionsIgnoredEvents: IgnoredEvents<RunEvent | SessionEvent, SessionsEvent['type']> = {
  RunStarted: 'a run starts with no sessions',
  RunPaused: 'about the run, not a session',
  RunResumed: 'about the run, not a session',
  RunStopped: 'the run closes its open session with RunSessionClosed',
  RunCompleted: 'about the run, not a session',
  RunFailed: 'the run closes its open session with RunSessionClosed',
  RunCrashRecovered: 'about the run, not a session',
  UserTurnRecorded: 'turns are counted by model calls',
  ModelCallFailed: 'a failed call is not a turn and bills no tokens',
  ToolResultRecorded: 'tool calls are counted when called',
  ToolCallInterrupted: 'tool calls are counted when called',
};

/** Each run's sessions: turns, tool calls, usage of every bucket and how the session ended. */
export class SessionsProjection extends HandlerProjection<SessionsEvent, SessionsBatch, SessionView> {
  readonly name = 'runner.sessions';
  readonly tables: string[];
  protected readonly handlers = sessionsHandlers;

  constructor(schema: string) {
    super();
    this.tables = [`${schema}.sessions`];
  }

  protected async begin(events: Recorded<SessionsEvent>[], tx: EntityManager): Promise<SessionsBatch> {
    const batch = new RowBatch<SessionRecord>();
    const ids = [...new Set(events.map((e) => e.data.sessionId))];
    for (const row of await tx.getRepository(SessionRow).findBy({ sessionId: In(ids) })) batch.load(row.sessionId, sessionRecordOfRow(row));
    return batch;
  }

  /** Reports the sessions that started (a view needs its project and model); the rest show up once they have. */
  protected async finish(batch: SessionsBatch, tx: EntityManager): Promise<SessionView[]> {
    const records = batch.changed;
    if (records.length === 0) return [];
    await tx.getRepository(SessionRow).upsert(records.map(sessionRowOfRecord), ['sessionId']);
    return records.flatMap((r) => (r.projectId !== null && r.model !== null ? [{ ...r, projectId: r.projectId, model: r.model }] : []));
  }
}

export const sessionRecordOfRow = (row: SessionRow): SessionRecord => ({
  sessionId: row.sessionId,
  runId: row.runId,
  projectId: row.projectId,
  number: row.number,
  kind: row.kind as SessionKind,
  featureId: row.featureId,
  taskId: row.taskId,
  model: row.model,
  turns: row.turns,
  toolCalls: row.toolCalls,
  usage: usageOfColumns(row),
  outcome: row.outcome as SessionOutcome | null,
  reason: row.reason,
  startedAt: isoOf(row.startedAt),
  endedAt: isoOrNull(row.endedAt),
});

const sessionRowOfRecord = ({ usage, ...s }: SessionRecord): SessionRow =>
  Object.assign(new SessionRow(), { ...s, ...columnsOfUsage(usage), startedAt: dateOf(s.startedAt), endedAt: dateOrNull(s.endedAt) });
