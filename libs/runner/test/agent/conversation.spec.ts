import { CONTINUE_MESSAGE, INTERRUPTED_TOOL_RESULT, toMessages, type Turn } from '../../src/agent';
import { text, thinking, toolUse } from './fixtures';

const user = (t: string): Turn => ({ kind: 'user', text: t });
const results = (...ids: string[]): Turn => ({ kind: 'tool_results', results: ids.map((id) => ({ toolUseId: id, content: `out ${id}`, isError: false })) });
const result = (id: string) => ({ type: 'tool_result', tool_use_id: id, content: `out ${id}` });
const interrupted = (id: string) => ({ type: 'tool_result', tool_use_id: id, content: INTERRUPTED_TOOL_RESULT, is_error: true });

describe('toMessages', () => {
  it('alternates user text, assistant content as returned, and tool results', () => {
    const assistant = [thinking('plan'), text('reading'), toolUse('tu_1')];
    const turns: Turn[] = [
      user('Project: x'),
      { kind: 'assistant', content: assistant, stopReason: 'tool_use' },
      results('tu_1'),
      { kind: 'assistant', content: [text('done')], stopReason: 'end_turn' },
    ];
    expect(toMessages(turns)).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'Project: x' }] },
      { role: 'assistant', content: assistant },
      { role: 'user', content: [result('tu_1')] },
      { role: 'assistant', content: [text('done')] },
    ]);
  });

  it('keeps the thinking block with its signature untouched', () => {
    const [, assistant] = toMessages([user('go'), { kind: 'assistant', content: [thinking('x'), toolUse('a')], stopReason: 'tool_use' }, results('a')]);
    expect(assistant.content).toContainEqual({ type: 'thinking', thinking: 'x', signature: 'sig-x' });
  });

  it('merges tool results and a following user text into one user message, results first', () => {
    const turns: Turn[] = [user('go'), { kind: 'assistant', content: [toolUse('a'), toolUse('b')], stopReason: 'tool_use' }, results('b', 'a'), user('also this')];
    expect(toMessages(turns).at(-1)).toEqual({ role: 'user', content: [result('a'), result('b'), { type: 'text', text: 'also this' }] });
  });

  it('after a pause_turn ends the request with the assistant content as is', () => {
    const paused = [text('searching'), { type: 'server_tool_use', id: 'srv_1', name: 'web_search', input: {} } as any];
    const messages = toMessages([user('go'), { kind: 'assistant', content: paused, stopReason: 'pause_turn' }]);
    expect(messages.at(-1)).toEqual({ role: 'assistant', content: paused });
    expect(messages).toHaveLength(2);
  });

  it('merges the continuation of a paused turn into the same assistant message', () => {
    const messages = toMessages([
      user('go'),
      { kind: 'assistant', content: [text('part 1')], stopReason: 'pause_turn' },
      { kind: 'assistant', content: [text('part 2'), toolUse('a')], stopReason: 'tool_use' },
      results('a'),
    ]);
    expect(messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user']);
    expect(messages[1].content).toEqual([text('part 1'), text('part 2'), toolUse('a')]);
  });

  it('after max_tokens continues with the user turn the runner recorded', () => {
    const messages = toMessages([user('go'), { kind: 'assistant', content: [text('a long ans')], stopReason: 'max_tokens' }, user(CONTINUE_MESSAGE)]);
    expect(messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user']);
    expect(messages[2].content).toEqual([{ type: 'text', text: CONTINUE_MESSAGE }]);
  });

  it('answers a tool_use whose result was never recorded (crash mid-tool) with an interrupted error', () => {
    const messages = toMessages([user('go'), { kind: 'assistant', content: [text('run'), toolUse('a', 'bash', { command: 'npm test' })], stopReason: 'tool_use' }]);
    expect(messages.at(-1)).toEqual({ role: 'user', content: [interrupted('a')] });
    expect(INTERRUPTED_TOOL_RESULT).toBe('interrupted: the runner stopped before this tool finished; its effects are unknown');
  });

  it('fills in only the missing results of a parallel call, in tool_use order', () => {
    const messages = toMessages([user('go'), { kind: 'assistant', content: [toolUse('a'), toolUse('b'), toolUse('c')], stopReason: 'tool_use' }, results('c', 'a')]);
    expect(messages.at(-1)!.content).toEqual([result('a'), interrupted('b'), result('c')]);
  });

  it('fills in a missing result before the user text recorded after the crash', () => {
    const messages = toMessages([user('go'), { kind: 'assistant', content: [toolUse('a')], stopReason: 'tool_use' }, user('resumed')]);
    expect(messages.at(-1)!.content).toEqual([interrupted('a'), { type: 'text', text: 'resumed' }]);
  });

  it('marks error results and drops results that answer no tool_use, or answer one twice', () => {
    const messages = toMessages([
      user('go'),
      { kind: 'assistant', content: [toolUse('a')], stopReason: 'tool_use' },
      {
        kind: 'tool_results',
        results: [
          { toolUseId: 'a', content: 'no such file', isError: true },
          { toolUseId: 'a', content: 'again', isError: false },
          { toolUseId: 'zz', content: 'stray', isError: false },
        ],
      },
    ]);
    expect(messages.at(-1)!.content).toEqual([{ type: 'tool_result', tool_use_id: 'a', content: 'no such file', is_error: true }]);
  });
});
