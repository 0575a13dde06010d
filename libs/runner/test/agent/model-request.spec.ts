import type { MessageParam } from '@anthropic-ai/sdk/resources/messages';
import {
  CODING_SYSTEM_PROMPT,
  buildModelRequest,
  codingFirstMessage,
  codingTools,
  countCacheBreakpoints,
  toMessages,
  type Turn,
} from '../../src/agent';
import { text, thinking, toolUse } from './fixtures';

/** A coding session of n model calls, each a tool call answered by its result. */
function conversation(n: number): Turn[][] {
  const turns: Turn[] = [{ kind: 'user', text: codingFirstMessage('todo-app', 'add a todo', 2) }];
  const snapshots: Turn[][] = [[...turns]];
  for (let i = 0; i < n - 1; i++) {
    turns.push({ kind: 'assistant', content: [thinking(`t${i}`), text(`step ${i}`), toolUse(`tu_${i}`)], stopReason: 'tool_use' });
    turns.push({ kind: 'tool_results', results: [{ toolUseId: `tu_${i}`, content: `file ${i}`, isError: false }] });
    snapshots.push([...turns]);
  }
  return snapshots;
}

const request = (messages: MessageParam[], extra = {}) =>
  buildModelRequest({ model: 'claude-sonnet-5-5', maxTokens: 16000, system: CODING_SYSTEM_PROMPT, tools: codingTools, messages, ...extra });

const markedBlocks = (messages: MessageParam[]) =>
  messages.flatMap((m, i) => (typeof m.content === 'string' ? [] : m.content.flatMap((b, j) => ('cache_control' in b && b.cache_control ? [[i, j]] : []))));

describe('buildModelRequest', () => {
  const snapshots = conversation(40);
  const requests = snapshots.map((turns) => request(toMessages(turns)));

  it('keeps the prefix (tools, then system) byte-identical across the turns of a growing conversation', () => {
    const prefix = (r: (typeof requests)[number]) => JSON.stringify({ tools: r.tools, system: r.system });
    expect(new Set(requests.map(prefix)).size).toBe(1);
    const first = requests[0];
    expect(first.tools!.at(-1)!.cache_control).toEqual({ type: 'ephemeral' });
    expect(first.tools!.slice(0, -1).every((t) => !('cache_control' in t))).toBe(true);
    expect(first.system).toEqual([{ type: 'text', text: CODING_SYSTEM_PROMPT, cache_control: { type: 'ephemeral' } }]);
  });

  it('keeps every earlier message byte-identical when the conversation grows', () => {
    for (let i = 1; i < requests.length; i++) {
      const before = requests[i - 1].messages.map((m) => JSON.stringify({ ...m, content: (m.content as any[]).map(({ cache_control: _, ...b }) => b) }));
      const after = requests[i].messages.slice(0, before.length).map((m) => JSON.stringify({ ...m, content: (m.content as any[]).map(({ cache_control: _, ...b }) => b) }));
      expect(after).toEqual(before);
    }
  });

  it('never has more than 4 breakpoints, and exactly one in the messages, on the last block of the latest one', () => {
    expect(requests).toHaveLength(40);
    for (const r of requests) {
      expect(countCacheBreakpoints(r)).toBeLessThanOrEqual(4);
      expect(markedBlocks(r.messages)).toEqual([[r.messages.length - 1, (r.messages.at(-1)!.content as unknown[]).length - 1]]);
    }
  });

  it('marks the previous user turn too when asked, still within 4', () => {
    const r = request(toMessages(snapshots[5]), { cachePreviousUserTurn: true });
    expect(markedBlocks(r.messages)).toEqual([
      [r.messages.length - 3, 0],
      [r.messages.length - 1, 0],
    ]);
    expect(countCacheBreakpoints(r)).toBe(4);
  });

  it('puts the moving breakpoint on the last block that can carry one (not a thinking block)', () => {
    const messages: MessageParam[] = [
      { role: 'user', content: 'go' },
      { role: 'assistant', content: [text('a') as any, thinking('x') as any] },
    ];
    expect(markedBlocks(request(messages).messages)).toEqual([[1, 0]]);
  });

  it('applies the prefix TTL to tools and system only, sends no temperature, and streams', () => {
    const r = request(toMessages(snapshots[2]), { cacheTtl: '1h' });
    expect(r.tools!.at(-1)!.cache_control).toEqual({ type: 'ephemeral', ttl: '1h' });
    expect((r.system as any[])[0].cache_control).toEqual({ type: 'ephemeral', ttl: '1h' });
    expect((r.messages.at(-1)!.content as any[]).at(-1).cache_control).toEqual({ type: 'ephemeral' });
    expect(r).not.toHaveProperty('temperature');
    expect(r.stream).toBe(true);
    expect(r).toMatchObject({ model: 'claude-sonnet-5-5', max_tokens: 16000 });
  });

  it("never changes the caller's messages or tools, and drops their own breakpoints", () => {
    const messages: MessageParam[] = [
      { role: 'user', content: [{ type: 'text', text: 'a', cache_control: { type: 'ephemeral' } }] },
      { role: 'assistant', content: [{ type: 'text', text: 'b', cache_control: { type: 'ephemeral' } }] },
      { role: 'user', content: [{ type: 'text', text: 'c', cache_control: { type: 'ephemeral' } }] },
      { role: 'assistant', content: [{ type: 'text', text: 'd', cache_control: { type: 'ephemeral' } }] },
      { role: 'user', content: 'e' },
    ];
    const copy = JSON.parse(JSON.stringify(messages));
    const toolsBefore = JSON.stringify(codingTools);
    const r = request(messages);
    expect(messages).toEqual(copy);
    expect(JSON.stringify(codingTools)).toBe(toolsBefore);
    expect(countCacheBreakpoints(r)).toBe(3);
    expect(markedBlocks(r.messages)).toEqual([[4, 0]]);
  });
});
