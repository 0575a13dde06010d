import type { Message, StopReason, ToolUseBlock } from '@anthropic-ai/sdk/resources/messages';

/** What the runner does after a model call, decided by why the model stopped. */
export type StopDecision =
  | { kind: 'tools'; toolUses: ToolUseBlock[] }
  | { kind: 'done' }
  /**
   * Send another request. `pause_turn`: send the assistant content back as is. `max_tokens`: send
   * "continue"; with `raiseMaxTokens` the output was cut inside a tool call, so drop this response
   * and send the same request again with a higher max_tokens.
   */
  | { kind: 'continue'; reason: 'max_tokens' | 'pause_turn'; raiseMaxTokens?: boolean }
  | { kind: 'error'; code: 'refusal' | 'model_context_window_exceeded' | 'unknown_stop_reason'; message: string };

const toolUsesOf = (message: Message): ToolUseBlock[] => message.content.filter((b): b is ToolUseBlock => b.type === 'tool_use');

export function classifyStop(message: Message): StopDecision {
  const reason: StopReason | null = message.stop_reason;
  if (reason === null) return { kind: 'error', code: 'unknown_stop_reason', message: 'the response has no stop_reason: the stream ended before the message did' };
  switch (reason) {
    case 'end_turn':
    case 'stop_sequence':
      return { kind: 'done' };
    case 'tool_use': {
      const toolUses = toolUsesOf(message);
      return toolUses.length
        ? { kind: 'tools', toolUses }
        : { kind: 'error', code: 'unknown_stop_reason', message: 'stop_reason is tool_use but the response has no tool_use block' };
    }
    case 'max_tokens': {
      // A tool call is the last thing the model writes in a turn: when it is last here, the limit cut it.
      const last = message.content.at(-1);
      if (last?.type === 'tool_use' || last?.type === 'server_tool_use') return { kind: 'continue', reason: 'max_tokens', raiseMaxTokens: true };
      // Complete tool calls followed by cut text: their results are the continuation.
      const toolUses = toolUsesOf(message);
      return toolUses.length ? { kind: 'tools', toolUses } : { kind: 'continue', reason: 'max_tokens' };
    }
    case 'pause_turn':
      return { kind: 'continue', reason: 'pause_turn' };
    case 'refusal': {
      const { category, explanation } = message.stop_details ?? {};
      const why = [category && `category ${category}`, explanation].filter(Boolean).join(': ');
      return { kind: 'error', code: 'refusal', message: `the model refused to continue${why ? ` (${why})` : ''}` };
    }
    case 'model_context_window_exceeded':
      return { kind: 'error', code: 'model_context_window_exceeded', message: "the conversation no longer fits the model's context window" };
    default: {
      // A stop reason a newer SDK adds fails to compile here until it is classified.
      const unknown: never = reason;
      return { kind: 'error', code: 'unknown_stop_reason', message: `unknown stop_reason ${String(unknown)}` };
    }
  }
}
