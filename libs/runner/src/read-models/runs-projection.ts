import { addUsage, emptyUsage, type RunCompletionReason, type RunEvent, type RunStatus, type RunView, type SessionEvent } from '@autocoder/contracts';
import { HandlerProjection, type EventHandlers, type Recorded } from '@autocoder/projections';
import { In, type EntityManager } from 'typeorm';
import { featureCountsOf } from './feature-counts';
import { RunRow } from './run-row.entity';
import { columnsOfUsage, dateOf, dateOrNull, isoOf, isoOrNull, usageOfColumns } from './row-columns';
import { RowBatch } from './row-batch';
import type { EventsOf, IgnoredEvents } from './runner-events';

/** A run as its row holds it: the view without the feature counts, which are read from the features. */
export type RunRecord = Omit<RunView, 'featureCounts'>;

/** The run's own events, and the session events it counts (each carries its run's id). */
export type RunsEvent = RunEvent | EventsOf<SessionEvent, 'ModelCallCompleted' | 'ToolCalled'>;
type RunsBatch = RowBatch<RunRecord>;

const ended = (r: RunRecord, status: RunStatus, reason: string, at: string, completion: RunCompletionReason | null = null): RunRecord => ({
  ...r,
  status,
  reason,
  completion,
  updatedAt: at,
  endedAt: at,
});

export const runsHandlers: EventHandlers<RunsEvent, RunsBatch> = {
  RunStarted: ({ data }, batch) =>
    batch.set(data.runId, {
      runId: data.runId,
      projectId: data.projectId,
      status: 'running',
      yolo: data.yolo,
      model: data.model,
      limits: data.limits,
      sessions: 0,
      modelCalls: 0,
      toolCalls: 0,
      usage: emptyUsage(),
      reason: null,
      completion: null,
      startedAt: data.startedAt,
      updatedAt: data.startedAt,
      endedAt: null,
    }),
  RunSessionOpened: ({ data }, batch) => batch.update(data.runId, (r) => ({ ...r, sessions: r.sessions + 1, updatedAt: data.openedAt })),
  RunSessionClosed: ({ data }, batch) => batch.update(data.runId, (r) => ({ ...r, updatedAt: data.closedAt })),
  RunPaused: ({ data }, batch) => batch.update(data.runId, (r) => ({ ...r, status: 'paused', reason: data.reason, updatedAt: data.pausedAt })),
  RunResumed: ({ data }, batch) => batch.update(data.runId, (r) => ({ ...r, status: 'running', reason: null, updatedAt: data.resumedAt })),
  RunStopped: ({ data }, batch) => batch.update(data.runId, (r) => ended(r, 'stopped', data.reason, data.stoppedAt)),
  RunCompleted: ({ data }, batch) => batch.update(data.runId, (r) => ended(r, 'completed', data.reason, data.completedAt, data.reason)),
  RunFailed: ({ data }, batch) => batch.update(data.runId, (r) => ended(r, 'failed', `${data.code}: ${data.message}`, data.failedAt)),
  RunCrashRecovered: ({ data }, batch) => batch.update(data.runId, (r) => ({ ...r, updatedAt: data.recoveredAt })),
  ModelCallCompleted: ({ data }, batch) =>
    batch.update(data.runId, (r) => ({ ...r, modelCalls: r.modelCalls + 1, usage: addUsage(r.usage, data.usage), updatedAt: data.completedAt })),
  ToolCalled: ({ data }, batch) => batch.update(data.runId, (r) => ({ ...r, toolCalls: r.toolCalls + 1, updatedAt: data.calledAt })),
};

export const runsIgnoredEvents: IgnoredEvents<RunEvent | SessionEvent, RunsEvent['type']> = {
  SessionStarted: 'the run counts a session when it opens it',
  UserTurnRecorded: 'a user turn is neither a model call nor a tool call',
  ModelCallFailed: 'a failed call bills no tokens and is not a completed model call',
  ToolResultRecorded: 'tool calls are counted when called',
  ToolCallInterrupted: 'tool calls are counted when called',
  SessionEnded: 'the run notes a session when it closes it',
};

/**
 * The runs list: status, controls, counts and the usage of every bucket summed over the model calls
 * of its sessions. A session event is about a run started earlier in the store (the run opens a
 * session before the session records anything), so one for a run never started changes nothing.
 */
export class RunsProjection extends HandlerProjection<RunsEvent, RunsBatch, RunView> {
  readonly name = 'runner.runs';
  readonly tables: string[];
  protected readonly handlers = runsHandlers;

  constructor(private readonly schema: string) {
    super();
    this.tables = [`${schema}.runs`];
  }

  protected async begin(events: Recorded<RunsEvent>[], tx: EntityManager): Promise<RunsBatch> {
    const batch = new RowBatch<RunRecord>();
    const ids = [...new Set(events.map((e) => e.data.runId))];
    for (const row of await tx.getRepository(RunRow).findBy({ runId: In(ids) })) batch.load(row.runId, runRecordOfRow(row));
    return batch;
  }

  /** Reports each changed run with its project's feature counts as the features read model has them. */
  protected async finish(batch: RunsBatch, tx: EntityManager): Promise<RunView[]> {
    const records = batch.changed;
    if (records.length === 0) return [];
    await tx.getRepository(RunRow).upsert(records.map(runRowOfRecord), ['runId']);
    const counts = await featureCountsOf(tx, this.schema, [...new Set(records.map((r) => r.projectId))]);
    return records.map((r) => ({ ...r, featureCounts: counts.get(r.projectId)! }));
  }
}

export const runRecordOfRow = (row: RunRow): RunRecord => ({
  runId: row.runId,
  projectId: row.projectId,
  status: row.status as RunStatus,
  yolo: row.yolo,
  model: row.model,
  limits: row.limits,
  sessions: row.sessions,
  modelCalls: row.modelCalls,
  toolCalls: row.toolCalls,
  usage: usageOfColumns(row),
  reason: row.reason,
  completion: row.completion as RunCompletionReason | null,
  startedAt: isoOf(row.startedAt),
  updatedAt: isoOf(row.updatedAt),
  endedAt: isoOrNull(row.endedAt),
});

const runRowOfRecord = ({ usage, ...r }: RunRecord): RunRow =>
  Object.assign(new RunRow(), {
    ...r,
    ...columnsOfUsage(usage),
    startedAt: dateOf(r.startedAt),
    updatedAt: dateOf(r.updatedAt),
    endedAt: dateOrNull(r.endedAt),
  });
