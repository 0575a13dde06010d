import {
  ErrorCodes,
  fail,
  type RunCompletionReason,
  type RunEvent,
  type RunLimits,
  type RunStatus,
  type SessionKind,
  type SessionOutcome,
} from '@autocoder/contracts';
import type { Decider } from '@autocoder/eventstore';

export type RunCommand =
  | {
      type: 'StartRun';
      data: { runId: string; projectId: string; yolo: boolean; model: string; limits: RunLimits; autoContinueDelaySec: number; startedBy: string; now: string };
    }
  | {
      type: 'OpenSession';
      data: { sessionId: string; kind: SessionKind; featureId: string | null; taskId: string | null; fencingToken: number | null; now: string };
    }
  | { type: 'CloseSession'; data: { sessionId: string; outcome: SessionOutcome; tokens: number; now: string } }
  | { type: 'PauseRun'; data: { reason: string; by: string; now: string } }
  | { type: 'ResumeRun'; data: { by: string; now: string } }
  | { type: 'StopRun'; data: { reason: string; by: string; now: string } }
  | { type: 'CompleteRun'; data: { reason: RunCompletionReason; now: string } }
  | { type: 'FailRun'; data: { code: string; message: string; now: string } }
  | { type: 'RecoverRun'; data: { now: string } };

export interface OpenSession {
  sessionId: string;
  number: number;
  kind: SessionKind;
  featureId: string | null;
  taskId: string | null;
  fencingToken: number | null;
}

export type RunState =
  | { exists: false }
  | {
      exists: true;
      runId: string;
      projectId: string;
      status: RunStatus;
      yolo: boolean;
      model: string;
      limits: RunLimits;
      autoContinueDelaySec: number;
      sessions: number;
      /** Tokens of the closed sessions (input of every kind plus output). */
      tokens: number;
      openSession: OpenSession | null;
      /** Kinds of the sessions opened so far, in order. */
      kinds: SessionKind[];
      reason: string | null;
    };

export type ExistingRun = Extract<RunState, { exists: true }>;

export const initialRunState: RunState = { exists: false };

const Ended: readonly RunStatus[] = ['stopped', 'completed', 'failed'];
export const isRunEnded = (status: RunStatus): boolean => Ended.includes(status);

const mustExist = (state: RunState): ExistingRun => (state.exists ? state : fail(ErrorCodes.NotFound, 'the run does not exist'));

const mustNotHaveEnded = (run: ExistingRun, what: string): ExistingRun =>
  isRunEnded(run.status) ? fail(ErrorCodes.InvalidTransition, `run ${run.runId} is ${run.status}; it cannot ${what}`) : run;

export function decideRun(command: RunCommand, state: RunState): RunEvent[] {
  switch (command.type) {
    case 'StartRun': {
      const { now, ...run } = command.data;
      if (state.exists) return [];
      return [{ type: 'RunStarted', data: { ...run, startedAt: now } }];
    }
    case 'OpenSession': {
      const run = mustNotHaveEnded(mustExist(state), 'open a session');
      const c = command.data;
      if (run.openSession?.sessionId === c.sessionId) return [];
      if (run.status !== 'running') return fail(ErrorCodes.InvalidTransition, `run ${run.runId} is ${run.status}; sessions open only while it runs`);
      if (run.openSession) return fail(ErrorCodes.Conflict, `run ${run.runId} already has session ${run.openSession.sessionId} open`);
      if (run.sessions >= run.limits.maxSessions) return fail(ErrorCodes.InvalidTransition, `run ${run.runId} has used its ${run.limits.maxSessions} sessions`);
      const { now, ...session } = c;
      return [{ type: 'RunSessionOpened', data: { runId: run.runId, ...session, number: run.sessions + 1, openedAt: now } }];
    }
    case 'CloseSession': {
      const run = mustExist(state);
      const c = command.data;
      if (run.openSession?.sessionId !== c.sessionId) return []; // closed already
      return [{ type: 'RunSessionClosed', data: { runId: run.runId, sessionId: c.sessionId, outcome: c.outcome, tokens: c.tokens, closedAt: c.now } }];
    }
    case 'PauseRun': {
      const run = mustNotHaveEnded(mustExist(state), 'be paused');
      if (run.status === 'paused') return [];
      return [{ type: 'RunPaused', data: { runId: run.runId, reason: command.data.reason, by: command.data.by, pausedAt: command.data.now } }];
    }
    case 'ResumeRun': {
      const run = mustNotHaveEnded(mustExist(state), 'be resumed');
      if (run.status === 'running') return [];
      return [{ type: 'RunResumed', data: { runId: run.runId, by: command.data.by, resumedAt: command.data.now } }];
    }
    case 'StopRun': {
      const run = mustExist(state);
      if (run.status === 'stopped') return [];
      mustNotHaveEnded(run, 'be stopped');
      return [{ type: 'RunStopped', data: { runId: run.runId, reason: command.data.reason, by: command.data.by, stoppedAt: command.data.now } }];
    }
    case 'CompleteRun': {
      const run = mustExist(state);
      if (run.status === 'completed') return [];
      mustNotHaveEnded(run, 'complete');
      if (run.openSession) return fail(ErrorCodes.Conflict, `run ${run.runId} still has session ${run.openSession.sessionId} open`);
      return [{ type: 'RunCompleted', data: { runId: run.runId, reason: command.data.reason, completedAt: command.data.now } }];
    }
    case 'FailRun': {
      const run = mustExist(state);
      if (run.status === 'failed') return [];
      mustNotHaveEnded(run, 'fail');
      return [{ type: 'RunFailed', data: { runId: run.runId, code: command.data.code, message: command.data.message, failedAt: command.data.now } }];
    }
    case 'RecoverRun': {
      const run = mustExist(state);
      // The sweep finds runs in the read model, which lags: a run that ended meanwhile has nothing to recover.
      if (isRunEnded(run.status)) return [];
      return [{ type: 'RunCrashRecovered', data: { runId: run.runId, sessionId: run.openSession?.sessionId ?? null, recoveredAt: command.data.now } }];
    }
  }
}

export function evolveRun(state: RunState, event: RunEvent): RunState {
  switch (event.type) {
    case 'RunStarted': {
      const { startedAt: _at, startedBy: _by, ...run } = event.data;
      return { exists: true, ...run, status: 'running', sessions: 0, tokens: 0, openSession: null, kinds: [], reason: null };
    }
    case 'RunSessionOpened': {
      const run = mustExist(state);
      const { runId: _r, openedAt: _o, ...open } = event.data;
      return { ...run, sessions: event.data.number, openSession: open, kinds: [...run.kinds, open.kind] };
    }
    case 'RunSessionClosed': {
      const run = mustExist(state);
      return { ...run, openSession: null, tokens: run.tokens + event.data.tokens };
    }
    case 'RunPaused':
      return { ...mustExist(state), status: 'paused', reason: event.data.reason };
    case 'RunResumed':
      return { ...mustExist(state), status: 'running', reason: null };
    case 'RunStopped':
      return { ...mustExist(state), status: 'stopped', reason: event.data.reason };
    case 'RunCompleted':
      return { ...mustExist(state), status: 'completed', reason: event.data.reason };
    case 'RunFailed':
      return { ...mustExist(state), status: 'failed', reason: `${event.data.code}: ${event.data.message}` };
    case 'RunCrashRecovered':
      return mustExist(state);
  }
}

export const runDecider: Decider<RunCommand, RunEvent, RunState> = { decide: decideRun, evolve: evolveRun, initialState: initialRunState };
