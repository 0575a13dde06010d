/** Events of an agent run (stream `run-<runId>`): the sessions it opens and the controls it obeys. */

export const RunStatuses = ['running', 'paused', 'stopped', 'completed', 'failed'] as const;
export type RunStatus = (typeof RunStatuses)[number];

export const SessionKinds = ['initializer', 'coding'] as const;
export type SessionKind = (typeof SessionKinds)[number];

export interface RunLimits {
  maxSessions: number;
  maxTurnsPerSession: number;
  /** Input plus output tokens over the whole run; 0 for no limit. */
  maxTokens: number;
}

/** Why a run ended by itself. */
export const RunCompletionReasons = ['all_features_done', 'max_sessions', 'max_tokens', 'nothing_to_do'] as const;
export type RunCompletionReason = (typeof RunCompletionReasons)[number];

export type RunStarted = {
  type: 'RunStarted';
  data: {
    runId: string;
    projectId: string;
    yolo: boolean;
    model: string;
    limits: RunLimits;
    autoContinueDelaySec: number;
    startedBy: string;
    startedAt: string;
  };
};
export type RunSessionOpened = {
  type: 'RunSessionOpened';
  data: {
    runId: string;
    sessionId: string;
    /** 1-based count of sessions in this run. */
    number: number;
    kind: SessionKind;
    featureId: string | null;
    taskId: string | null;
    fencingToken: number | null;
    openedAt: string;
  };
};
export type RunSessionClosed = {
  type: 'RunSessionClosed';
  data: { runId: string; sessionId: string; outcome: SessionOutcome; tokens: number; closedAt: string };
};
export type RunPaused = { type: 'RunPaused'; data: { runId: string; reason: string; by: string; pausedAt: string } };
export type RunResumed = { type: 'RunResumed'; data: { runId: string; by: string; resumedAt: string } };
export type RunStopped = { type: 'RunStopped'; data: { runId: string; reason: string; by: string; stoppedAt: string } };
export type RunCompleted = { type: 'RunCompleted'; data: { runId: string; reason: RunCompletionReason; completedAt: string } };
export type RunFailed = { type: 'RunFailed'; data: { runId: string; code: string; message: string; failedAt: string } };
/** A runner found this run running with no live driver (its process died): it resumes from the events. */
export type RunCrashRecovered = {
  type: 'RunCrashRecovered';
  data: { runId: string; sessionId: string | null; recoveredAt: string };
};

export type RunEvent = RunStarted | RunSessionOpened | RunSessionClosed | RunPaused | RunResumed | RunStopped | RunCompleted | RunFailed | RunCrashRecovered;

export const runStreamName = (runId: string) => `run-${runId}`;

export const SessionOutcomes = ['completed', 'failed', 'stopped', 'turn_limit', 'lease_lost'] as const;
export type SessionOutcome = (typeof SessionOutcomes)[number];
