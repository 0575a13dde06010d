import type { RunEvent } from '@autocoder/contracts';
import { deciderSpec } from '@autocoder/testing';
import { runDecider } from '../../src/runs/run';

const now = '2026-12-01T12:00:00.000Z';
const runId = '5f0e7e9e-2a3b-4c5d-8e9f-0a1b2c3d4e5f';
const sessionId = '6a0e7e9e-2a3b-4c5d-8e9f-0a1b2c3d4e5f';
const given = deciderSpec(runDecider);
const started: RunEvent = {
  type: 'RunStarted',
  data: { runId, projectId: '0b3f3a52-7b6e-4c0e-9f55-1f0c7a4b2d10', yolo: false, model: 'claude-sonnet-4-6', limits: { maxSessions: 1, maxTurnsPerSession: 10, maxTokens: 0 }, autoContinueDelaySec: 0, startedBy: 'admin', startedAt: now },
};
const open = { type: 'OpenSession' as const, data: { sessionId, kind: 'initializer' as const, featureId: null, taskId: null, fencingToken: null, now } };
const opened: RunEvent = { type: 'RunSessionOpened', data: { runId, sessionId, number: 1, kind: 'initializer', featureId: null, taskId: null, fencingToken: null, openedAt: now } };
const closed: RunEvent = { type: 'RunSessionClosed', data: { runId, sessionId, outcome: 'completed', tokens: 10, closedAt: now } };

describe('run decider', () => {
  it('opens one session at a time, numbered, and no more than the limit', () => {
    given(started).when(open).then([opened]);
    given(started, opened).when(open).then([]);
    given(started, opened).when({ ...open, data: { ...open.data, sessionId: runId } }).thenFails('CONFLICT', /already has session/);
    given(started, opened, closed).when({ ...open, data: { ...open.data, sessionId: runId } }).thenFails('INVALID_TRANSITION', /has used its 1 sessions/);
  });

  it('pauses, resumes and stops; an ended run refuses controls naming its status', () => {
    const paused: RunEvent = { type: 'RunPaused', data: { runId, reason: 'lunch', by: 'admin', pausedAt: now } };
    given(started).when({ type: 'PauseRun', data: { reason: 'lunch', by: 'admin', now } }).then([paused]);
    given(started, paused).when({ type: 'OpenSession', data: open.data }).thenFails('INVALID_TRANSITION', /is paused; sessions open only while it runs/);
    given(started, paused).when({ type: 'ResumeRun', data: { by: 'admin', now } }).then([{ type: 'RunResumed', data: { runId, by: 'admin', resumedAt: now } }]);
    const stopped: RunEvent = { type: 'RunStopped', data: { runId, reason: 'enough', by: 'admin', stoppedAt: now } };
    given(started, paused).when({ type: 'StopRun', data: { reason: 'enough', by: 'admin', now } }).then([stopped]);
    given(started, stopped).when({ type: 'ResumeRun', data: { by: 'admin', now } }).thenFails('INVALID_TRANSITION', /is stopped; it cannot be resumed/);
    given(started, stopped).when({ type: 'StopRun', data: { reason: 'again', by: 'admin', now } }).then([]);
  });

  it('completes only with no session open', () => {
    given(started, opened).when({ type: 'CompleteRun', data: { reason: 'all_features_done', now } }).thenFails('CONFLICT', /still has session/);
    given(started, opened, closed).when({ type: 'CompleteRun', data: { reason: 'all_features_done', now } }).then([{ type: 'RunCompleted', data: { runId, reason: 'all_features_done', completedAt: now } }]);
  });

  it('recovers a run that is still going, and treats one that has ended as nothing to recover', () => {
    const recover = { type: 'RecoverRun' as const, data: { now } };
    given(started, opened).when(recover).then([{ type: 'RunCrashRecovered', data: { runId, sessionId, recoveredAt: now } }]);
    // The sweep lists active runs from the read model, which can lag behind a run that just ended.
    const completed: RunEvent = { type: 'RunCompleted', data: { runId, reason: 'all_features_done', completedAt: now } };
    const stopped: RunEvent = { type: 'RunStopped', data: { runId, reason: 'enough', by: 'admin', stoppedAt: now } };
    given(started, opened, closed, completed).when(recover).then([]);
    given(started, stopped).when(recover).then([]);
  });
});
