import type { ContentBlock, ContentBlockParam, MessageParam, StopReason, ToolResultBlockParam } from '@anthropic-ai/sdk/resources/messages';

export interface RecordedToolResult {
  toolUseId: string;
  content: string;
  isError: boolean;
}

/**
 * A session's conversation as the runner records it (one event per turn) and rebuilds after a
 * crash: neutral of the API's message alternation, which `toMessages` derives.
 */
export type Turn =
  | { kind: 'user'; text: string }
  /** The content blocks exactly as the API returned them (text, tool_use, thinking with its signature, …). */
  | { kind: 'assistant'; content: ContentBlock[]; stopReason: StopReason | null }
  | { kind: 'tool_results'; results: RecordedToolResult[] };

export const INTERRUPTED_TOOL_RESULT = 'interrupted: the runner stopped before this tool finished; its effects are unknown';

const toolResultBlock = (r: RecordedToolResult): ToolResultBlockParam => ({
  type: 'tool_result',
  tool_use_id: r.toolUseId,
  content: r.content,
  ...(r.isError ? { is_error: true } : {}),
});

type Role = MessageParam['role'];

/**
 * The messages of the next request. Consecutive turns of one role are one message (tool results
 * first, as the API requires); assistant content goes back as it came, so after a `pause_turn` the
 * request ends with that assistant message. Every tool_use gets exactly one tool_result in the next
 * user message: one the runner never recorded (it died while the tool ran) is answered with an
 * error saying so, and results that answer no tool_use of the message before are dropped.
 */
export function toMessages(turns: readonly Turn[]): MessageParam[] {
  const grouped: { role: Role; blocks: ContentBlockParam[] }[] = [];
  const push = (role: Role, blocks: ContentBlockParam[]) => {
    const last = grouped.at(-1);
    if (last?.role === role) last.blocks.push(...blocks);
    else grouped.push({ role, blocks: [...blocks] });
  };
  for (const turn of turns) {
    if (turn.kind === 'user') push('user', [{ type: 'text', text: turn.text }]);
    // Response blocks are valid request blocks: the SDK's own stream helper sends them back this way.
    else if (turn.kind === 'assistant') push('assistant', turn.content as ContentBlockParam[]);
    else push('user', turn.results.map(toolResultBlock));
  }
  const messages: MessageParam[] = [];
  grouped.forEach((group, i) => {
    if (group.role === 'assistant') {
      messages.push({ role: 'assistant', content: group.blocks });
      const next = grouped[i + 1];
      if (!next && pendingToolUses(group.blocks).length) messages.push({ role: 'user', content: answerToolUses(group.blocks, []) });
      return;
    }
    const content = answerToolUses(grouped[i - 1]?.blocks ?? [], group.blocks);
    if (content.length) messages.push({ role: 'user', content });
  });
  return messages;
}

const pendingToolUses = (assistant: ContentBlockParam[]): string[] =>
  assistant.flatMap((b) => (b.type === 'tool_use' ? [b.id] : []));

/** The user content after `assistant`: one result per tool_use in its order, then the rest. */
function answerToolUses(assistant: ContentBlockParam[], user: ContentBlockParam[]): ContentBlockParam[] {
  const results = new Map<string, ContentBlockParam>();
  for (const block of user) if (block.type === 'tool_result' && !results.has(block.tool_use_id)) results.set(block.tool_use_id, block);
  const answers = pendingToolUses(assistant).map(
    (id): ContentBlockParam => results.get(id) ?? toolResultBlock({ toolUseId: id, content: INTERRUPTED_TOOL_RESULT, isError: true }),
  );
  return [...answers, ...user.filter((b) => b.type !== 'tool_result')];
}
