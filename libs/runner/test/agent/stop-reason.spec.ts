import { classifyStop } from '../../src/agent';
import { message, text, toolUse } from './fixtures';

describe('classifyStop', () => {
  it('runs the tools of a tool_use stop', () => {
    const a = toolUse('a');
    const b = toolUse('b', 'bash', { command: 'npm test' });
    expect(classifyStop(message([text('x'), a, b], 'tool_use'))).toEqual({ kind: 'tools', toolUses: [a, b] });
  });

  it('is done at end_turn and at a stop sequence', () => {
    expect(classifyStop(message([text('done')], 'end_turn'))).toEqual({ kind: 'done' });
    expect(classifyStop(message([text('done')], 'stop_sequence'))).toEqual({ kind: 'done' });
  });

  it('continues after max_tokens without a tool call, and raises the limit when one was cut', () => {
    expect(classifyStop(message([text('a long')], 'max_tokens'))).toEqual({ kind: 'continue', reason: 'max_tokens' });
    expect(classifyStop(message([text('writing'), toolUse('a', 'write_file', { path: 'a.ts' })], 'max_tokens'))).toEqual({
      kind: 'continue',
      reason: 'max_tokens',
      raiseMaxTokens: true,
    });
  });

  it('runs complete tool calls of a max_tokens stop that was cut in text after them', () => {
    const a = toolUse('a');
    expect(classifyStop(message([a, text('and then')], 'max_tokens'))).toEqual({ kind: 'tools', toolUses: [a] });
  });

  it('continues a paused turn', () => {
    expect(classifyStop(message([text('searching')], 'pause_turn'))).toEqual({ kind: 'continue', reason: 'pause_turn' });
  });

  it('fails on a refusal (with its category), a full context window, and a missing stop reason', () => {
    const refusal = message([], 'refusal', { stop_details: { type: 'refusal', category: 'cyber', explanation: 'malware' } });
    expect(classifyStop(refusal)).toEqual({ kind: 'error', code: 'refusal', message: 'the model refused to continue (category cyber: malware)' });
    expect(classifyStop(message([], 'model_context_window_exceeded'))).toMatchObject({ kind: 'error', code: 'model_context_window_exceeded' });
    expect(classifyStop(message([], null))).toMatchObject({ kind: 'error', code: 'unknown_stop_reason' });
    expect(classifyStop(message([text('x')], 'tool_use'))).toMatchObject({ kind: 'error', code: 'unknown_stop_reason' });
  });

  it('fails on a stop reason this build does not know (at run time too)', () => {
    expect(classifyStop(message([], 'sleeping' as any))).toEqual({ kind: 'error', code: 'unknown_stop_reason', message: 'unknown stop_reason sleeping' });
  });
});
