import type { SessionEvent } from '@autocoder/contracts';
import { deciderSpec } from '@autocoder/testing';
import { gateEvidence, sessionDecider, type ExistingSession } from '../../src/sessions/session';

const now = '2026-12-01T12:00:00.000Z';
const ids = { projectId: 'p', runId: 'r', sessionId: 's', featureId: 'f', taskId: 't' };
const given = deciderSpec(sessionDecider);
const usage = { input: 10, output: 5, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 0 };
const started: SessionEvent = { type: 'SessionStarted', data: { ...ids, kind: 'coding', model: 'm', maxTurns: 5, prompt: 'go', startedAt: now } };
const call = (turn: number, content: unknown[]): SessionEvent => ({
  type: 'ModelCallCompleted',
  data: { ...ids, turn, model: 'm', stopReason: 'tool_use', latencyMs: 1, requestId: 'req', attempts: 1, maxTokens: 100, usage, content, completedAt: now },
});
const use = (id: string, name: string, input: unknown) => ({ type: 'tool_use', id, name, input });
const called = (toolUseId: string, name: string, input: unknown, turn = 0): SessionEvent => ({ type: 'ToolCalled', data: { sessionId: 's', runId: 'r', turn, toolUseId, name, input, calledAt: now } });
const result = (toolUseId: string, name: string, over: { exitCode?: number | null; changedFiles?: boolean; content?: string } = {}, turn = 0): SessionEvent => ({
  type: 'ToolResultRecorded',
  data: { sessionId: 's', runId: 'r', turn, toolUseId, name, isError: (over.exitCode ?? 0) !== 0, content: over.content ?? 'ok', originalBytes: 2, truncated: false, exitCode: over.exitCode ?? null, changedFiles: over.changedFiles ?? false, durationMs: 1, recordedAt: now },
});
const modelCall = (turn: number, content: unknown[] = []) => ({
  type: 'RecordModelCall' as const,
  data: { turn, model: 'm', stopReason: 'end_turn', latencyMs: 1, requestId: null, attempts: 1, maxTokens: 100, usage, content, now },
});
const stateOf = (...events: SessionEvent[]) => events.reduce(sessionDecider.evolve, sessionDecider.initialState) as ExistingSession;

describe('session decider', () => {
  it('records each model call once, in order, with the attribution on the event', () => {
    given(started).when(modelCall(0)).then([{ type: 'ModelCallCompleted', data: { ...ids, turn: 0, model: 'm', stopReason: 'end_turn', latencyMs: 1, requestId: null, attempts: 1, maxTokens: 100, usage, content: [], completedAt: now } }]);
    given(started, call(0, [])).when(modelCall(0)).then([]);
    given(started).when(modelCall(2)).thenFails('CONFLICT', /expects model call 0, not 2/);
  });

  it('asks for every tool result before the next model call', () => {
    const asked = call(0, [use('toolu_1', 'read_file', { path: 'a' })]);
    given(started, asked).when(modelCall(1)).thenFails('CONFLICT', /waits for the results of toolu_1/);
    given(started, asked).when({ type: 'RecordToolCall', data: { toolUseId: 'toolu_9', name: 'x', input: {}, now } }).thenFails('CONFLICT', /was not asked for/);
    given(started, asked).when({ type: 'RecordToolCall', data: { toolUseId: 'toolu_1', name: 'read_file', input: {}, now } }).then([called('toolu_1', 'read_file', { path: 'a' })]);
  });

  it('reports a started tool call without a recorded result as interrupted (one never started is not), and the gate needs a fresh green run after it', () => {
    const asked = call(0, [use('toolu_1', 'bash', { command: 'npm test' }), use('toolu_2', 'write_file', { path: 'a', content: 'x' })]);
    given(started, asked, called('toolu_1', 'bash', { command: 'npm test' })).when({ type: 'InterruptToolCalls', data: { now } }).then([
      { type: 'ToolCallInterrupted', data: { sessionId: 's', runId: 'r', turn: 0, toolUseId: 'toolu_1', name: 'bash', recordedAt: now } },
    ]);
  });

  it('opens the test gate only for a green command after the last file change', () => {
    const asked = call(0, [use('a', 'bash', { command: 'node --test' }), use('b', 'write_file', {}), use('c', 'bash', { command: 'node --test' })]);
    const green = [asked, called('a', 'bash', { command: 'node --test' }), result('a', 'bash', { exitCode: 0, content: 'tests 3 pass 3' })];
    expect(gateEvidence(stateOf(started, ...green))).toEqual({ command: 'node --test', outputTail: 'tests 3 pass 3' });
    const edited = [...green, called('b', 'write_file', {}), result('b', 'write_file', { changedFiles: true })];
    expect(gateEvidence(stateOf(started, ...edited))).toBeNull();
    const red = [...edited, called('c', 'bash', { command: 'node --test' }), result('c', 'bash', { exitCode: 1 })];
    expect(gateEvidence(stateOf(started, ...red))).toBeNull();
  });
});
