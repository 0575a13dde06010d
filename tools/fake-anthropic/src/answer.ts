// From a script's turn to the API's Message: tool ids filled in, output counted, and cut at the
// request's max_tokens as the model would be (stop_reason max_tokens).
import { createHash } from 'node:crypto';
import type { AssistantTurn } from './script';
import { tokensOfBlock } from './tokens';
import type { InputUsage, MessageResponse, OutputBlock, StopReason } from './types';

/** An id in the API's shape (prefix + 24 base62-ish chars), derived from a seed so answers repeat. */
export function apiId(prefix: string, seed: string): string {
  const digest = createHash('sha256').update(seed).digest('base64').replace(/[^A-Za-z0-9]/g, '');
  return `${prefix}01${digest.slice(0, 22)}`;
}

export function buildMessage(turn: AssistantTurn, model: string, maxTokens: number, input: InputUsage, seed: string): MessageResponse {
  const blocks = turn.content.map((b, i) => (b.type === 'tool_use' && !b.id ? { ...b, id: apiId('toolu_', `${seed}:${i}`) } : b));
  let stopReason: StopReason = turn.stop_reason ?? (blocks.some((b) => b.type === 'tool_use') ? 'tool_use' : 'end_turn');
  let content = blocks;
  let outputTokens = blocks.reduce((sum, b) => sum + tokensOfBlock(b), 0);
  if (outputTokens > maxTokens) {
    content = truncate(blocks, maxTokens);
    outputTokens = maxTokens;
    stopReason = 'max_tokens';
  }
  return {
    id: apiId('msg_', seed),
    type: 'message',
    role: 'assistant',
    model,
    content: content.map(wireBlock),
    stop_reason: stopReason,
    stop_sequence: null,
    stop_details: null,
    container: null,
    diagnostics: null,
    usage: {
      ...input,
      output_tokens: outputTokens,
      inference_geo: null,
      output_tokens_details: null,
      server_tool_use: null,
      service_tier: 'standard',
      speed: null,
    },
  };
}

/** Keeps whole blocks while they fit, cuts the text block that does not; a tool call that does not fit is dropped. */
function truncate(blocks: OutputBlock[], maxTokens: number): OutputBlock[] {
  const kept: OutputBlock[] = [];
  let left = maxTokens;
  for (const block of blocks) {
    const cost = tokensOfBlock(block);
    if (cost <= left) {
      kept.push(block);
      left -= cost;
      continue;
    }
    if (block.type === 'text' && left > 0) {
      let cut = block.text.slice(0, left * 4);
      while (cut && tokensOfBlock({ type: 'text', text: cut }) > left) cut = cut.slice(0, -4);
      if (cut) kept.push({ type: 'text', text: cut });
    }
    break;
  }
  return kept;
}

function wireBlock(block: OutputBlock): Record<string, unknown> {
  if (block.type === 'text') return { type: 'text', text: block.text, citations: null };
  return { type: 'tool_use', id: block.id, name: block.name, input: block.input, caller: { type: 'direct' } };
}

