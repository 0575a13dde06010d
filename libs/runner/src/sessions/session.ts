import {
  ErrorCodes,
  fail,
  type ModelUsage,
  type SessionEvent,
  type SessionKind,
  type SessionOutcome,
  type UsageAttribution,
} from '@autocoder/contracts';
import type { Decider } from '@autocoder/eventstore';

export type SessionCommand =
  | { type: 'StartSession'; data: UsageAttribution & { kind: SessionKind; model: string; maxTurns: number; prompt: string; now: string } }
  | { type: 'RecordUserTurn'; data: { turn: number; text: string; now: string } }
  | {
      type: 'RecordModelCall';
      data: {
        turn: number;
        model: string;
        stopReason: string;
        latencyMs: number;
        requestId: string | null;
        attempts: number;
        maxTokens: number;
        usage: ModelUsage;
        content: unknown[];
        now: string;
      };
    }
  | { type: 'RecordModelFailure'; data: { turn: number; model: string; code: string; status: number | null; message: string; requestId: string | null; now: string } }
  | { type: 'RecordToolCall'; data: { toolUseId: string; name: string; input: unknown; now: string } }
  | {
      type: 'RecordToolResult';
      data: {
        toolUseId: string;
        isError: boolean;
        content: string;
        originalBytes: number;
        truncated: boolean;
        exitCode: number | null;
        changedFiles: boolean;
        durationMs: number;
        now: string;
      };
    }
  | { type: 'InterruptToolCalls'; data: { now: string } }
  | { type: 'EndSession'; data: { outcome: SessionOutcome; reason: string | null; now: string } };

/** One entry of the conversation as it was recorded, in order. */
export type ConversationEntry =
  | { kind: 'user'; text: string }
  | { kind: 'assistant'; turn: number; content: unknown[]; stopReason: string }
  | { kind: 'tool_result'; toolUseId: string; content: string; isError: boolean };

export interface ToolUse {
  toolUseId: string;
  name: string;
  input: unknown;
}

/** What the test gate looks at: the last file change and the last green command, by tool-result count. */
export interface GateState {
  results: number;
  lastChangeAt: number;
  lastGreen: { at: number; command: string; outputTail: string } | null;
}

export type SessionState =
  | { exists: false }
  | (UsageAttribution & {
      exists: true;
      kind: SessionKind;
      model: string;
      maxTurns: number;
      /** Model calls recorded so far: the next call is turn `turns`. */
      turns: number;
      conversation: ConversationEntry[];
      /** Tool uses the last model call asked for, in order. */
      requested: ToolUse[];
      /** Of those, the ones whose call was recorded, and the ones with a result (or an interruption). */
      called: string[];
      answered: string[];
      usage: ModelUsage;
      gate: GateState;
      ended: { outcome: SessionOutcome; reason: string | null } | null;
    });

export type ExistingSession = Extract<SessionState, { exists: true }>;

export const initialSessionState: SessionState = { exists: false };

const mustExist = (state: SessionState): ExistingSession => (state.exists ? state : fail(ErrorCodes.NotFound, 'the session does not exist'));

const mustBeOpen = (session: ExistingSession, what: string): ExistingSession =>
  session.ended ? fail(ErrorCodes.InvalidTransition, `session ${session.sessionId} has ended (${session.ended.outcome}); it cannot ${what}`) : session;

/** Tool calls that started and never reported a result: the runner died while they ran. */
export const interruptedToolUses = (session: ExistingSession): ToolUse[] =>
  session.requested.filter((t) => session.called.includes(t.toolUseId) && !session.answered.includes(t.toolUseId));

/** Tool uses asked for and not yet answered: the model waits for their results. */
export const unansweredToolUses = (session: ExistingSession): ToolUse[] => session.requested.filter((t) => !session.answered.includes(t.toolUseId));

const toolUsesOf = (content: unknown[]): ToolUse[] =>
  content.flatMap((block) => {
    const b = block as { type?: string; id?: string; name?: string; input?: unknown };
    return b.type === 'tool_use' && typeof b.id === 'string' && typeof b.name === 'string' ? [{ toolUseId: b.id, name: b.name, input: b.input }] : [];
  });

const tail = (text: string, max = 2000) => (text.length > max ? text.slice(-max) : text);

/** What a command printed, out of a bash result's JSON (its text as is when it is not JSON). */
const printedBy = (content: string): string => {
  try {
    const result = JSON.parse(content) as { stdout?: unknown; stderr?: unknown };
    if (typeof result.stdout === 'string') return `${result.stdout}${typeof result.stderr === 'string' && result.stderr ? `\n${result.stderr}` : ''}`;
  } catch {
    // not JSON: the text is the output
  }
  return content;
};

export function decideSession(command: SessionCommand, state: SessionState): SessionEvent[] {
  if (command.type === 'StartSession') {
    const { now, ...session } = command.data;
    return state.exists ? [] : [{ type: 'SessionStarted', data: { ...session, startedAt: now } }];
  }
  const session = mustExist(state);
  const ids = { sessionId: session.sessionId, runId: session.runId };
  switch (command.type) {
    case 'RecordUserTurn': {
      mustBeOpen(session, 'take a user turn');
      const last = session.conversation.at(-1);
      if (last?.kind === 'user') return [];
      return [{ type: 'UserTurnRecorded', data: { sessionId: session.sessionId, turn: command.data.turn, text: command.data.text, recordedAt: command.data.now } }];
    }
    case 'RecordModelCall': {
      const c = command.data;
      if (c.turn < session.turns) return []; // recorded already (a retry after a crash)
      mustBeOpen(session, 'record a model call');
      if (c.turn !== session.turns) return fail(ErrorCodes.Conflict, `session ${session.sessionId} expects model call ${session.turns}, not ${c.turn}`);
      const waiting = unansweredToolUses(session);
      if (waiting.length) return fail(ErrorCodes.Conflict, `session ${session.sessionId} still waits for the results of ${waiting.map((t) => t.toolUseId).join(', ')}`);
      const { now, ...call } = c;
      const attribution = { projectId: session.projectId, runId: session.runId, sessionId: session.sessionId, featureId: session.featureId, taskId: session.taskId };
      return [{ type: 'ModelCallCompleted', data: { ...attribution, ...call, completedAt: now } }];
    }
    case 'RecordModelFailure': {
      mustBeOpen(session, 'record a model failure');
      const { now, ...failure } = command.data;
      const attribution = { projectId: session.projectId, runId: session.runId, sessionId: session.sessionId, featureId: session.featureId, taskId: session.taskId };
      return [{ type: 'ModelCallFailed', data: { ...attribution, ...failure, failedAt: now } }];
    }
    case 'RecordToolCall': {
      const c = command.data;
      if (session.called.includes(c.toolUseId)) return [];
      mustBeOpen(session, 'call a tool');
      const use = session.requested.find((t) => t.toolUseId === c.toolUseId);
      if (!use) return fail(ErrorCodes.Conflict, `tool use ${c.toolUseId} was not asked for by the last model call of session ${session.sessionId}`);
      return [{ type: 'ToolCalled', data: { ...ids, turn: session.turns - 1, toolUseId: c.toolUseId, name: use.name, input: use.input, calledAt: c.now } }];
    }
    case 'RecordToolResult': {
      const c = command.data;
      if (session.answered.includes(c.toolUseId)) return [];
      if (!session.called.includes(c.toolUseId)) return fail(ErrorCodes.Conflict, `tool use ${c.toolUseId} has no recorded call in session ${session.sessionId}`);
      const use = session.requested.find((t) => t.toolUseId === c.toolUseId)!;
      const { now, ...result } = c;
      return [{ type: 'ToolResultRecorded', data: { ...ids, turn: session.turns - 1, name: use.name, ...result, recordedAt: now } }];
    }
    case 'InterruptToolCalls':
      // Only a call that started and never reported back is interrupted; one never started can still run.
      return unansweredToolUses(session).filter((use) => session.called.includes(use.toolUseId)).map((use) => ({
        type: 'ToolCallInterrupted' as const,
        data: { ...ids, turn: session.turns - 1, toolUseId: use.toolUseId, name: use.name, recordedAt: command.data.now },
      }));
    case 'EndSession': {
      if (session.ended) return [];
      return [{ type: 'SessionEnded', data: { ...ids, outcome: command.data.outcome, reason: command.data.reason, endedAt: command.data.now } }];
    }
  }
}

export const INTERRUPTED_TOOL_RESULT = 'interrupted: the runner stopped before this tool finished; its effects are unknown. Check the workspace before relying on it.';

export function evolveSession(state: SessionState, event: SessionEvent): SessionState {
  if (event.type === 'SessionStarted') {
    const { startedAt: _at, prompt, ...session } = event.data;
    return {
      exists: true,
      ...session,
      turns: 0,
      conversation: [{ kind: 'user', text: prompt }],
      requested: [],
      called: [],
      answered: [],
      usage: { input: 0, output: 0, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 0 },
      gate: { results: 0, lastChangeAt: 0, lastGreen: null },
      ended: null,
    };
  }
  const session = mustExist(state);
  switch (event.type) {
    case 'UserTurnRecorded':
      return { ...session, conversation: [...session.conversation, { kind: 'user', text: event.data.text }] };
    case 'ModelCallCompleted': {
      const u = event.data.usage;
      return {
        ...session,
        turns: event.data.turn + 1,
        conversation: [...session.conversation, { kind: 'assistant', turn: event.data.turn, content: event.data.content, stopReason: event.data.stopReason }],
        requested: toolUsesOf(event.data.content),
        called: [],
        answered: [],
        usage: {
          input: session.usage.input + u.input,
          output: session.usage.output + u.output,
          cacheWrite5m: session.usage.cacheWrite5m + u.cacheWrite5m,
          cacheWrite1h: session.usage.cacheWrite1h + u.cacheWrite1h,
          cacheRead: session.usage.cacheRead + u.cacheRead,
        },
      };
    }
    case 'ModelCallFailed':
      return session;
    case 'ToolCalled':
      return { ...session, called: [...session.called, event.data.toolUseId] };
    case 'ToolResultRecorded': {
      const d = event.data;
      const at = session.gate.results + 1;
      const call = session.requested.find((t) => t.toolUseId === d.toolUseId);
      const command = typeof (call?.input as { command?: unknown })?.command === 'string' ? (call!.input as { command: string }).command : '';
      const green = d.name === 'bash' && d.exitCode === 0 && !d.isError;
      return {
        ...session,
        answered: [...session.answered, d.toolUseId],
        conversation: [...session.conversation, { kind: 'tool_result', toolUseId: d.toolUseId, content: d.content, isError: d.isError }],
        gate: {
          results: at,
          lastChangeAt: d.changedFiles ? at : session.gate.lastChangeAt,
          lastGreen: green ? { at, command, outputTail: tail(printedBy(d.content)) } : session.gate.lastGreen,
        },
      };
    }
    case 'ToolCallInterrupted':
      return {
        ...session,
        called: session.called.includes(event.data.toolUseId) ? session.called : [...session.called, event.data.toolUseId],
        answered: [...session.answered, event.data.toolUseId],
        conversation: [...session.conversation, { kind: 'tool_result', toolUseId: event.data.toolUseId, content: INTERRUPTED_TOOL_RESULT, isError: true }],
        // An interrupted tool may have changed files: the gate must see a fresh green run after it.
        gate: { ...session.gate, results: session.gate.results + 1, lastChangeAt: session.gate.results + 1 },
      };
    case 'SessionEnded':
      return { ...session, ended: { outcome: event.data.outcome, reason: event.data.reason } };
  }
}

export const sessionDecider: Decider<SessionCommand, SessionEvent, SessionState> = {
  decide: decideSession,
  evolve: evolveSession,
  initialState: initialSessionState,
};

/** The test gate: a command ran and exited 0 after the session's last file change. */
export const gateEvidence = (session: ExistingSession): { command: string; outputTail: string } | null => {
  const green = session.gate.lastGreen;
  return green && green.at > session.gate.lastChangeAt ? { command: green.command, outputTail: green.outputTail } : null;
};
