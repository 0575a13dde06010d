import { AutocoderError, isAutocoderError, sessionStreamName, totalInputTokens, type SessionOutcome } from '@autocoder/contracts';
import type { AggregateStore, CommandContext } from '@autocoder/eventstore';
import type { Logger } from '@autocoder/platform';
import type { ContentBlock, StopReason } from '@anthropic-ai/sdk/resources/messages';
import { buildModelRequest, classifyStop, CONTINUE_MESSAGE, toMessages, usageOf, type Turn } from '../agent';
import { interruptedToolUses, unansweredToolUses, type ExistingSession, type SessionCommand, type SessionState } from '../sessions/session';
import type { SessionEvent } from '@autocoder/contracts';
import type { ModelClient } from '../agent';
import { DriverHalted, type RunControls } from './run-controls';
import type { ToolExecutor } from './tool-executor';
import { estimateInputTokens, type BudgetGate } from './usage-budget';

export interface SessionSetup {
  sessionId: string;
  system: string;
  tools: Parameters<typeof buildModelRequest>[0]['tools'];
  maxOutputTokens: number;
  /** Tokens the run may still use in this session (Infinity for no limit). */
  tokenAllowance: number;
}

export interface SessionEnd {
  outcome: SessionOutcome;
  reason: string | null;
  tokens: number;
}

/** The recorded conversation as the agent layer's turns (tool results of one turn grouped). */
export function turnsOf(session: ExistingSession): Turn[] {
  const turns: Turn[] = [];
  for (const entry of session.conversation) {
    if (entry.kind === 'user') turns.push({ kind: 'user', text: entry.text });
    else if (entry.kind === 'assistant') turns.push({ kind: 'assistant', content: entry.content as ContentBlock[], stopReason: entry.stopReason as StopReason });
    else {
      const last = turns.at(-1);
      const result = { toolUseId: entry.toolUseId, content: entry.content, isError: entry.isError };
      if (last?.kind === 'tool_results') last.results.push(result);
      else turns.push({ kind: 'tool_results', results: [result] });
    }
  }
  return turns;
}

const sessionTokens = (s: ExistingSession) => totalInputTokens(s.usage) + s.usage.output;

/**
 * Drives one session from its events: each step is decided from what is recorded, so a session
 * picked up after a crash continues from its last completed turn — a model call already recorded is
 * never made again, and a tool call that started but never reported is told to the model as
 * interrupted. Every model call and tool call is an event before the next step.
 */
export class SessionDriver {
  constructor(
    private readonly sessions: AggregateStore<SessionCommand, SessionEvent, SessionState>,
    private readonly model: ModelClient,
    private readonly tools: ToolExecutor,
    private readonly budget: BudgetGate,
    private readonly controls: RunControls,
    private readonly context: (label: string) => CommandContext,
    private readonly logger: Logger,
  ) {}

  private async load(sessionId: string): Promise<ExistingSession> {
    const { state } = await this.sessions.load(sessionStreamName(sessionId));
    if (!state.exists) throw new AutocoderError('NOT_FOUND', `session ${sessionId} was never started`);
    return state;
  }

  private async record(sessionId: string, command: SessionCommand, label: string): Promise<ExistingSession> {
    const handled = await this.sessions.handle(sessionStreamName(sessionId), command, this.context(`session/${sessionId}/${label}`));
    return handled.state as ExistingSession;
  }

  private now = () => new Date().toISOString();

  private async end(session: ExistingSession, outcome: SessionOutcome, reason: string | null): Promise<SessionEnd> {
    // A shutdown is not an end: the session stays as recorded, for whoever drives the run next.
    if (this.controls.halting) throw new DriverHalted();
    const ended = await this.record(session.sessionId, { type: 'EndSession', data: { outcome, reason, now: this.now() } }, 'end');
    return { outcome: ended.ended!.outcome, reason: ended.ended!.reason, tokens: sessionTokens(ended) };
  }

  async drive(setup: SessionSetup): Promise<SessionEnd> {
    let session = await this.load(setup.sessionId);
    let maxTokens = setup.maxOutputTokens;
    for (;;) {
      if (session.ended) return { outcome: session.ended.outcome, reason: session.ended.reason, tokens: sessionTokens(session) };
      if (this.controls.halting) throw new DriverHalted();
      // First, even when the session ends now: a crashed call left running would stay so in the record.
      if (interruptedToolUses(session).length) {
        this.logger.warn({ sessionId: session.sessionId, toolUses: interruptedToolUses(session).map((t) => t.toolUseId) }, 'tool calls interrupted by a crash are reported to the model');
        session = await this.record(session.sessionId, { type: 'InterruptToolCalls', data: { now: this.now() } }, `interrupt/${session.turns}`);
        continue;
      }
      const status = await this.controls.status();
      if (status === 'stopped' || this.controls.signal.aborted) return this.end(session, 'stopped', 'the run was stopped');
      if (status === 'paused' && !(await this.controls.waitWhilePaused())) return this.end(session, 'stopped', 'the run ended while paused');
      if (status !== 'running' && status !== 'paused') return this.end(session, 'stopped', `the run is ${status}`);

      const next = unansweredToolUses(session)[0];
      if (next) {
        session = await this.runTool(session, next.toolUseId, next.name, next.input);
        continue;
      }

      const last = session.conversation.at(-1)!;
      if (last.kind === 'assistant') {
        const decision = classifyStop({ content: last.content, stop_reason: last.stopReason } as never);
        switch (decision.kind) {
          case 'done':
            return this.end(session, 'completed', null);
          case 'error':
            await this.record(
              session.sessionId,
              { type: 'RecordModelFailure', data: { turn: last.turn, model: session.model, code: decision.code, status: null, message: decision.message, requestId: null, now: this.now() } },
              `stop-error/${last.turn}`,
            );
            return this.end(session, 'failed', `${decision.code}: ${decision.message}`);
          case 'continue':
            if (decision.reason === 'max_tokens') {
              if (decision.raiseMaxTokens) maxTokens = Math.min(maxTokens * 2, 128_000);
              session = await this.record(session.sessionId, { type: 'RecordUserTurn', data: { turn: session.turns, text: CONTINUE_MESSAGE, now: this.now() } }, `continue/${session.turns}`);
            }
            // pause_turn: the assistant content goes back as it is, with nothing added.
            break;
          case 'tools':
            break; // every tool use has its result: ask the model again
        }
      }
      if (session.turns >= session.maxTurns) return this.end(session, 'turn_limit', `reached the limit of ${session.maxTurns} model calls per session`);
      if (sessionTokens(session) >= setup.tokenAllowance) return this.end(session, 'turn_limit', 'the run reached its token limit');
      const called = await this.callModel(session, setup, maxTokens);
      if (called.ok === 'paused') {
        // The usage service went away because this process is shutting down: not a reason to pause the run.
        if (this.controls.halting) throw new DriverHalted();
        // No call without a reservation: the run pauses and this session stays open, so a resume
        // (a raised budget, a person) continues it here, reserving again for the same turn.
        this.logger.warn({ sessionId: session.sessionId, turn: session.turns, reason: called.reason }, 'model call refused by the usage service: the run pauses');
        await this.controls.pause(called.reason);
        continue;
      }
      if (!called.ok) return this.end(called.session, called.outcome, called.reason);
      session = called.session;
    }
  }

  private async callModel(session: ExistingSession, setup: SessionSetup, maxTokens: number) {
    const turn = session.turns;
    const params = buildModelRequest({ model: session.model, maxTokens, system: setup.system, tools: setup.tools, messages: toMessages(turnsOf(session)) });
    const { projectId, runId, featureId, sessionId } = session;
    const reserved = await this.budget.reserve({ projectId, runId, featureId, sessionId, turn, model: session.model, maxTokens, inputTokens: estimateInputTokens(params) }, this.controls.signal);
    if (this.controls.halting) throw new DriverHalted();
    if (this.controls.signal.aborted) return { ok: false as const, session, outcome: 'stopped' as const, reason: 'the run was stopped' };
    if (!reserved.ok) return { ok: 'paused' as const, reason: reserved.reason };
    try {
      const result = await this.model.call(params, { signal: this.controls.signal });
      const m = result.message;
      const recorded = await this.record(
        session.sessionId,
        {
          type: 'RecordModelCall',
          data: {
            turn,
            model: m.model ?? session.model,
            stopReason: m.stop_reason ?? 'unknown',
            latencyMs: result.latencyMs,
            requestId: result.requestId,
            attempts: result.attempts,
            maxTokens,
            usage: usageOf(m),
            content: m.content as unknown[],
            now: this.now(),
          },
        },
        `model/${turn}`,
      );
      return { ok: true as const, session: recorded };
    } catch (error) {
      if (this.controls.halting) throw new DriverHalted();
      if (this.controls.signal.aborted) return { ok: false as const, session, outcome: 'stopped' as const, reason: 'the run was stopped during a model call' };
      const e = error as AutocoderError & { status?: number; requestId?: string };
      const code = isAutocoderError(error) ? error.code : 'MODEL_UNAVAILABLE';
      await this.record(
        session.sessionId,
        { type: 'RecordModelFailure', data: { turn, model: session.model, code, status: typeof e.status === 'number' ? e.status : null, message: e.message, requestId: e.requestId ?? null, now: this.now() } },
        `model-failed/${turn}/${Date.now()}`,
      );
      return { ok: false as const, session, outcome: 'failed' as const, reason: `${code}: ${e.message}` };
    }
  }

  private async runTool(session: ExistingSession, toolUseId: string, name: string, input: unknown): Promise<ExistingSession> {
    const id = session.sessionId;
    await this.record(id, { type: 'RecordToolCall', data: { toolUseId, name, input, now: this.now() } }, `tool/${toolUseId}`);
    const started = Date.now();
    const outcome = await this.tools.execute(name, input, this.controls.signal);
    // Killed by a shutdown: no result is recorded, so the next driver reports the call as interrupted.
    if (this.controls.halting) throw new DriverHalted();
    return this.record(
      id,
      {
        type: 'RecordToolResult',
        data: {
          toolUseId,
          isError: outcome.isError,
          content: outcome.content,
          originalBytes: outcome.originalBytes,
          truncated: outcome.truncated,
          exitCode: outcome.exitCode,
          changedFiles: outcome.changedFiles,
          durationMs: Date.now() - started,
          now: this.now(),
        },
      },
      `tool-result/${toolUseId}`,
    );
  }
}
