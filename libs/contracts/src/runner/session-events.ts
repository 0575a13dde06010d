import type { SessionKind, SessionOutcome } from './run-events';

/** Events of one coding or initializer session (stream `session-<sessionId>`): every model call and tool call. */

/** Token buckets exactly as the Messages API reports them. */
export interface ModelUsage {
  input: number;
  output: number;
  cacheWrite5m: number;
  cacheWrite1h: number;
  cacheRead: number;
}

/** Where a call's cost belongs, carried on the event so nothing has to be joined to attribute it. */
export interface UsageAttribution {
  projectId: string;
  runId: string;
  sessionId: string;
  featureId: string | null;
  taskId: string | null;
}

export type SessionStarted = {
  type: 'SessionStarted';
  data: UsageAttribution & { kind: SessionKind; model: string; maxTurns: number; prompt: string; startedAt: string };
};
/** A user turn the runner sent besides tool results (e.g. "continue" after a max_tokens stop). */
export type UserTurnRecorded = { type: 'UserTurnRecorded'; data: { sessionId: string; turn: number; text: string; recordedAt: string } };
export type ModelCallCompleted = {
  type: 'ModelCallCompleted';
  data: UsageAttribution & {
    /** 0-based model call number in the session. */
    turn: number;
    model: string;
    stopReason: string;
    latencyMs: number;
    requestId: string | null;
    attempts: number;
    maxTokens: number;
    usage: ModelUsage;
    /** The assistant's content blocks as the API returned them. */
    content: unknown[];
    completedAt: string;
  };
};
export type ModelCallFailed = {
  type: 'ModelCallFailed';
  data: UsageAttribution & { turn: number; model: string; code: string; status: number | null; message: string; requestId: string | null; failedAt: string };
};
export type ToolCalled = {
  type: 'ToolCalled';
  data: { sessionId: string; runId: string; turn: number; toolUseId: string; name: string; input: unknown; calledAt: string };
};
export type ToolResultRecorded = {
  type: 'ToolResultRecorded';
  data: {
    sessionId: string;
    runId: string;
    turn: number;
    toolUseId: string;
    name: string;
    isError: boolean;
    /** The result as sent to the model (capped). */
    content: string;
    originalBytes: number;
    truncated: boolean;
    /** A bash command's exit code; null for other tools. */
    exitCode: number | null;
    /** The tool changed a file in the workspace (the test gate's reference point). */
    changedFiles: boolean;
    durationMs: number;
    recordedAt: string;
  };
};
/** A tool call whose result was never recorded (the runner died while it ran). */
export type ToolCallInterrupted = {
  type: 'ToolCallInterrupted';
  data: { sessionId: string; runId: string; turn: number; toolUseId: string; name: string; recordedAt: string };
};
export type SessionEnded = {
  type: 'SessionEnded';
  data: { sessionId: string; runId: string; outcome: SessionOutcome; reason: string | null; endedAt: string };
};

export type SessionEvent = SessionStarted | UserTurnRecorded | ModelCallCompleted | ModelCallFailed | ToolCalled | ToolResultRecorded | ToolCallInterrupted | SessionEnded;

export const sessionStreamName = (sessionId: string) => `session-${sessionId}`;

export const emptyUsage = (): ModelUsage => ({ input: 0, output: 0, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 0 });

export const addUsage = (a: ModelUsage, b: ModelUsage): ModelUsage => ({
  input: a.input + b.input,
  output: a.output + b.output,
  cacheWrite5m: a.cacheWrite5m + b.cacheWrite5m,
  cacheWrite1h: a.cacheWrite1h + b.cacheWrite1h,
  cacheRead: a.cacheRead + b.cacheRead,
});

/** Every input token the call was billed for, cached or not. */
export const totalInputTokens = (u: ModelUsage): number => u.input + u.cacheWrite5m + u.cacheWrite1h + u.cacheRead;
