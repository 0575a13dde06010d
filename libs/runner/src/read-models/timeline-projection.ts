import type { LogLevel, ProjectEvent, RunEvent, RunStreamType, RunTimelineEntry, SessionEvent } from '@autocoder/contracts';
import { HandlerProjection, type EventHandlers, type Recorded } from '@autocoder/projections';
import { In, type EntityManager } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { capJson, capText, oneLine, TIMELINE_TEXT_BYTES } from './cap-text';
import { dateOf, dateOrNull, isoOf, isoOrNull } from './row-columns';
import { RowBatch, uniqueIds } from './row-batch';
import type { EventsOf, IgnoredEvents, RunnerEvent } from './runner-events';
import { TimelineRow, TimelineRunRow, TimelineSessionRow } from './timeline-row.entity';

export type TimelineEvent =
  | RunEvent
  | Exclude<SessionEvent, { type: 'UserTurnRecorded' }>
  | EventsOf<ProjectEvent, 'FeaturesDefined' | 'FeatureStatusChanged'>;

/** An entry with what its log line adds: level, message and the correlation id of the command behind it. */
export interface TimelineRecord {
  entry: RunTimelineEntry;
  level: LogLevel;
  msg: string;
  correlationId: string | null;
}

interface TimelineRun {
  runId: string;
  projectId: string;
  endedAt: string | null;
}
interface TimelineSession {
  sessionId: string;
  runId: string;
  endedAt: string | null;
}
interface TimelineBatch {
  runs: RowBatch<TimelineRun>;
  sessions: RowBatch<TimelineSession>;
  records: TimelineRecord[];
}

interface Shown {
  runId: string;
  sessionId: string | null;
  type: RunStreamType;
  at: string;
  data: Record<string, unknown>;
  level: LogLevel;
  msg: string;
}

/** One entry per shown event, its seq the event's position; a run the timeline never saw start has none. */
function show(event: Recorded<TimelineEvent>, batch: TimelineBatch, shown: Shown) {
  const run = batch.runs.get(shown.runId);
  if (!run) return;
  const { level, msg, ...entry } = shown;
  batch.records.push({
    entry: { seq: event.position, runId: entry.runId, projectId: run.projectId, sessionId: entry.sessionId, type: entry.type, eventType: event.type, at: entry.at, data: entry.data },
    level,
    msg,
    correlationId: event.metadata.correlationId ?? null,
  });
}

const endRun = (batch: TimelineBatch, runId: string, at: string) => batch.runs.update(runId, (r) => ({ ...r, endedAt: r.endedAt ?? at }));
const endSession = (batch: TimelineBatch, sessionId: string, at: string) => batch.sessions.update(sessionId, (s) => ({ ...s, endedAt: s.endedAt ?? at }));

/** The text blocks of a model's answer (what it said it was doing) and the tools it asked for. */
function contentSummary(content: unknown[]): { text: string; toolUses: { toolUseId: string; name: string }[] } {
  const texts: string[] = [];
  const toolUses: { toolUseId: string; name: string }[] = [];
  for (const block of content) {
    if (typeof block !== 'object' || block === null) continue;
    const b = block as { type?: unknown; text?: unknown; id?: unknown; name?: unknown };
    if (b.type === 'text' && typeof b.text === 'string') texts.push(b.text);
    if (b.type === 'tool_use' && typeof b.id === 'string' && typeof b.name === 'string') toolUses.push({ toolUseId: b.id, name: b.name });
  }
  return { text: capText(texts.join('\n\n')), toolUses };
}

/** What a tool was asked to do, in a few words: the command, the path, or the start of its input. */
function inputSummary(input: unknown): string {
  if (typeof input === 'object' && input !== null) {
    const { command, path } = input as { command?: unknown; path?: unknown };
    if (typeof command === 'string') return oneLine(command);
    if (typeof path === 'string') return oneLine(path);
  }
  return oneLine(JSON.stringify(input) ?? '');
}

/** Ids and names of newly defined features, as many as fit in one entry. */
function definedList(features: { featureId: string; name: string }[]) {
  const listed: { featureId: string; name: string }[] = [];
  let bytes = 0;
  for (const { featureId, name } of features) {
    bytes += Buffer.byteLength(featureId + name, 'utf8') + 32;
    if (bytes > TIMELINE_TEXT_BYTES) break;
    listed.push({ featureId, name: oneLine(name, 120) });
  }
  return { features: listed, notListed: features.length - listed.length };
}

const withReason = (text: string, reason: string | null) => (reason ? `${text}: ${oneLine(reason)}` : text);

/**
 * Seed 002's stream types. `test` is the result of a `bash` call (its exit code is the verdict) and
 * takes the place of that call's `tool_result`, so each event gives at most one entry and its seq
 * stays the event's position. A stopped run ends with `complete` (status stopped); a failed one with
 * `error` (status failed).
 */
export const timelineHandlers: EventHandlers<TimelineEvent, TimelineBatch> = {
  RunStarted: (e, batch) => {
    const { data } = e;
    batch.runs.set(data.runId, batch.runs.get(data.runId) ?? { runId: data.runId, projectId: data.projectId, endedAt: null });
    show(e, batch, {
      runId: data.runId,
      sessionId: null,
      type: 'status',
      at: data.startedAt,
      data: { status: 'running', model: data.model, yolo: data.yolo, limits: data.limits, autoContinueDelaySec: data.autoContinueDelaySec, startedBy: data.startedBy },
      level: 'info',
      msg: `run started by ${data.startedBy} with ${data.model}${data.yolo ? ' in YOLO mode (test gate skipped)' : ''}, at most ${data.limits.maxSessions} sessions`,
    });
  },
  RunSessionOpened: (e, batch) => {
    const { data } = e;
    batch.sessions.set(data.sessionId, batch.sessions.get(data.sessionId) ?? { sessionId: data.sessionId, runId: data.runId, endedAt: null });
    show(e, batch, {
      runId: data.runId,
      sessionId: data.sessionId,
      type: 'status',
      at: data.openedAt,
      data: { number: data.number, kind: data.kind, featureId: data.featureId, taskId: data.taskId },
      level: 'info',
      msg: `session ${data.number} opened (${data.kind}${data.featureId ? `, feature ${data.featureId}` : ''})`,
    });
  },
  RunSessionClosed: (e, batch) => {
    const { data } = e;
    endSession(batch, data.sessionId, data.closedAt);
    show(e, batch, {
      runId: data.runId,
      sessionId: data.sessionId,
      type: 'status',
      at: data.closedAt,
      data: { outcome: data.outcome, tokens: data.tokens },
      level: 'info',
      msg: `session closed: ${data.outcome}, ${data.tokens} tokens`,
    });
  },
  RunPaused: (e, batch) =>
    show(e, batch, {
      runId: e.data.runId,
      sessionId: null,
      type: 'status',
      at: e.data.pausedAt,
      data: { status: 'paused', reason: e.data.reason, by: e.data.by },
      level: 'info',
      msg: withReason(`run paused by ${e.data.by}`, e.data.reason),
    }),
  RunResumed: (e, batch) =>
    show(e, batch, {
      runId: e.data.runId,
      sessionId: null,
      type: 'status',
      at: e.data.resumedAt,
      data: { status: 'running', by: e.data.by },
      level: 'info',
      msg: `run resumed by ${e.data.by}`,
    }),
  RunStopped: (e, batch) => {
    endRun(batch, e.data.runId, e.data.stoppedAt);
    show(e, batch, {
      runId: e.data.runId,
      sessionId: null,
      type: 'complete',
      at: e.data.stoppedAt,
      data: { status: 'stopped', reason: e.data.reason, by: e.data.by },
      level: 'info',
      msg: withReason(`run stopped by ${e.data.by}`, e.data.reason),
    });
  },
  RunCompleted: (e, batch) => {
    endRun(batch, e.data.runId, e.data.completedAt);
    show(e, batch, {
      runId: e.data.runId,
      sessionId: null,
      type: 'complete',
      at: e.data.completedAt,
      data: { status: 'completed', reason: e.data.reason },
      level: 'info',
      msg: `run completed: ${e.data.reason}`,
    });
  },
  RunFailed: (e, batch) => {
    endRun(batch, e.data.runId, e.data.failedAt);
    show(e, batch, {
      runId: e.data.runId,
      sessionId: null,
      type: 'error',
      at: e.data.failedAt,
      data: { status: 'failed', code: e.data.code, message: e.data.message },
      level: 'error',
      msg: `run failed: ${e.data.code}: ${oneLine(e.data.message)}`,
    });
  },
  RunCrashRecovered: (e, batch) =>
    show(e, batch, {
      runId: e.data.runId,
      sessionId: e.data.sessionId,
      type: 'status',
      at: e.data.recoveredAt,
      data: { recovered: true },
      level: 'info',
      msg: 'run recovered: its runner had died, it goes on from its events',
    }),
  SessionStarted: (e, batch) => {
    const { data } = e;
    batch.sessions.set(data.sessionId, batch.sessions.get(data.sessionId) ?? { sessionId: data.sessionId, runId: data.runId, endedAt: null });
    show(e, batch, {
      runId: data.runId,
      sessionId: data.sessionId,
      type: 'status',
      at: data.startedAt,
      data: { kind: data.kind, model: data.model, maxTurns: data.maxTurns, featureId: data.featureId, taskId: data.taskId, prompt: capText(data.prompt) },
      level: 'info',
      msg: `${data.kind} session started with ${data.model}, at most ${data.maxTurns} turns`,
    });
  },
  ModelCallCompleted: (e, batch) => {
    const { data } = e;
    const { text, toolUses } = contentSummary(data.content);
    show(e, batch, {
      runId: data.runId,
      sessionId: data.sessionId,
      type: 'status',
      at: data.completedAt,
      data: {
        turn: data.turn,
        model: data.model,
        stopReason: data.stopReason,
        usage: data.usage,
        latencyMs: data.latencyMs,
        requestId: data.requestId,
        attempts: data.attempts,
        text,
        toolUses,
      },
      level: 'debug',
      msg:
        `model call ${data.turn}: ${data.stopReason}, ${data.usage.input} input + ${data.usage.cacheRead} cache read + ` +
        `${data.usage.cacheWrite5m + data.usage.cacheWrite1h} cache write, ${data.usage.output} output tokens, ${data.latencyMs} ms`,
    });
  },
  ModelCallFailed: (e, batch) => {
    const { data } = e;
    show(e, batch, {
      runId: data.runId,
      sessionId: data.sessionId,
      type: 'error',
      at: data.failedAt,
      data: { turn: data.turn, model: data.model, code: data.code, status: data.status, message: data.message, requestId: data.requestId },
      level: 'error',
      msg: `model call ${data.turn} failed: ${data.code}${data.status !== null ? ` (HTTP ${data.status})` : ''}: ${oneLine(data.message)}`,
    });
  },
  ToolCalled: (e, batch) => {
    const { data } = e;
    show(e, batch, {
      runId: data.runId,
      sessionId: data.sessionId,
      type: 'tool_call',
      at: data.calledAt,
      // `turn` is the model call of the same session that asked for it.
      data: { turn: data.turn, toolUseId: data.toolUseId, name: data.name, input: capJson(data.input) },
      level: 'info',
      msg: `${data.name}: ${inputSummary(data.input)}`,
    });
  },
  ToolResultRecorded: (e, batch) => {
    const { data } = e;
    const test = data.name === 'bash';
    const failed = data.isError || (data.exitCode !== null && data.exitCode !== 0);
    show(e, batch, {
      runId: data.runId,
      sessionId: data.sessionId,
      type: test ? 'test' : 'tool_result',
      at: data.recordedAt,
      data: {
        turn: data.turn,
        toolUseId: data.toolUseId,
        name: data.name,
        isError: data.isError,
        exitCode: data.exitCode,
        ...(test ? { passed: !failed } : {}),
        content: capText(data.content),
        originalBytes: data.originalBytes,
        truncated: data.truncated || Buffer.byteLength(data.content, 'utf8') > TIMELINE_TEXT_BYTES,
        changedFiles: data.changedFiles,
        durationMs: data.durationMs,
      },
      level: failed ? 'warn' : 'info',
      msg: `${data.name} ${failed ? 'failed' : 'done'}${data.exitCode !== null ? ` (exit ${data.exitCode})` : ''} in ${data.durationMs} ms`,
    });
  },
  ToolCallInterrupted: (e, batch) => {
    const { data } = e;
    show(e, batch, {
      runId: data.runId,
      sessionId: data.sessionId,
      type: 'error',
      at: data.recordedAt,
      data: { turn: data.turn, toolUseId: data.toolUseId, name: data.name },
      level: 'error',
      msg: `${data.name} interrupted: its result was never recorded (the runner died while it ran)`,
    });
  },
  SessionEnded: (e, batch) => {
    const { data } = e;
    endSession(batch, data.sessionId, data.endedAt);
    show(e, batch, {
      runId: data.runId,
      sessionId: data.sessionId,
      type: 'status',
      at: data.endedAt,
      data: { outcome: data.outcome, reason: data.reason },
      level: 'info',
      msg: withReason(`session ended: ${data.outcome}`, data.reason),
    });
  },
  FeatureStatusChanged: (e, batch) => {
    const { data } = e;
    // A manual change belongs to no run.
    if (data.runId === null) return;
    show(e, batch, {
      runId: data.runId,
      sessionId: data.sessionId,
      type: 'feature',
      at: data.changedAt,
      data: {
        featureId: data.featureId,
        from: data.from,
        to: data.to,
        reason: data.reason,
        yolo: data.yolo,
        evidence: data.evidence ? { ...data.evidence, outputTail: capText(data.evidence.outputTail) } : null,
      },
      level: 'info',
      msg: withReason(`feature ${data.featureId}: ${data.from} -> ${data.to}${data.yolo ? ' (YOLO)' : ''}`, data.reason),
    });
  },
  FeaturesDefined: (e, batch) => {
    const { data } = e;
    const session = data.sessionId === null ? undefined : batch.sessions.get(data.sessionId);
    // An import of feature_list.json belongs to no run.
    if (!session) return;
    show(e, batch, {
      runId: session.runId,
      sessionId: data.sessionId,
      type: 'feature',
      at: data.definedAt,
      data: { defined: data.features.length, source: data.source, ...definedList(data.features) },
      level: 'info',
      msg: `${data.features.length} features defined (${data.source})`,
    });
  },
};

export const timelineIgnoredEvents: IgnoredEvents<RunnerEvent, TimelineEvent['type']> = {
  ProjectRegistered: 'before any run',
  ProjectUpdated: 'not part of a run',
  UserTurnRecorded: 'the runner’s own prompt between turns; the model call after it is shown',
};

/**
 * Each run's timeline as the SSE stream, the websocket and GraphQL deliver it, and the run's log
 * lines. It keeps, for itself, which project each run belongs to, which run each session belongs to
 * and whether each has ended, so every entry follows from the events in their order alone.
 */
export class TimelineProjection extends HandlerProjection<TimelineEvent, TimelineBatch, RunTimelineEntry> {
  readonly name = 'runner.timeline';
  readonly tables: string[];
  protected readonly handlers = timelineHandlers;

  constructor(schema: string) {
    super();
    this.tables = [`${schema}.run_timeline`, `${schema}.run_timeline_runs`, `${schema}.run_timeline_sessions`];
  }

  protected async begin(events: Recorded<TimelineEvent>[], tx: EntityManager): Promise<TimelineBatch> {
    const batch: TimelineBatch = { runs: new RowBatch(), sessions: new RowBatch(), records: [] };
    const sessionIds = uniqueIds(events.map((e) => (e.data as { sessionId?: string | null }).sessionId));
    const runIds = new Set(uniqueIds(events.map((e) => (e.data as { runId?: string | null }).runId)));
    if (sessionIds.length) {
      for (const row of await tx.getRepository(TimelineSessionRow).findBy({ sessionId: In(sessionIds) })) {
        batch.sessions.load(row.sessionId, { sessionId: row.sessionId, runId: row.runId, endedAt: isoOrNull(row.endedAt) });
        runIds.add(row.runId);
      }
    }
    if (runIds.size) {
      for (const row of await tx.getRepository(TimelineRunRow).findBy({ runId: In([...runIds]) })) {
        batch.runs.load(row.runId, { runId: row.runId, projectId: row.projectId, endedAt: isoOrNull(row.endedAt) });
      }
    }
    return batch;
  }

  protected async finish(batch: TimelineBatch, tx: EntityManager): Promise<RunTimelineEntry[]> {
    const runs = batch.runs.changed.map((r) => Object.assign(new TimelineRunRow(), { ...r, endedAt: dateOrNull(r.endedAt) }));
    if (runs.length) await tx.getRepository(TimelineRunRow).upsert(runs, ['runId']);
    const sessions = batch.sessions.changed.map((s) => Object.assign(new TimelineSessionRow(), { ...s, endedAt: dateOrNull(s.endedAt) }));
    if (sessions.length) await tx.getRepository(TimelineSessionRow).upsert(sessions, ['sessionId']);
    if (batch.records.length) {
      const rows = batch.records.map(timelineRowOfRecord);
      // Entries never change: one already there (same seq) is the same entry.
      for (let i = 0; i < rows.length; i += 1000) {
        await tx.createQueryBuilder().insert().into(TimelineRow).values(rows.slice(i, i + 1000) as QueryDeepPartialEntity<TimelineRow>[]).orIgnore().execute();
      }
    }
    return batch.records.map((r) => r.entry);
  }
}

const timelineRowOfRecord = ({ entry, level, msg, correlationId }: TimelineRecord): TimelineRow =>
  Object.assign(new TimelineRow(), { ...entry, at: dateOf(entry.at), level, msg, correlationId });

export const timelineEntryOfRow = (row: TimelineRow): RunTimelineEntry => ({
  seq: row.seq,
  runId: row.runId,
  projectId: row.projectId,
  sessionId: row.sessionId,
  type: row.type as RunStreamType,
  eventType: row.eventType,
  at: isoOf(row.at),
  data: row.data,
});
