import type { ContentBlock, Message, StopReason } from '@anthropic-ai/sdk/resources/messages';

export const text = (t: string): ContentBlock => ({ type: 'text', text: t, citations: null });
export const toolUse = (id: string, name = 'read_file', input: unknown = { path: 'a.txt' }): ContentBlock =>
  ({ type: 'tool_use', id, name, input, caller: { type: 'direct' } }) as ContentBlock;
export const thinking = (t: string): ContentBlock => ({ type: 'thinking', thinking: t, signature: `sig-${t}` });

/** A response message as the API returns it. */
export const message = (content: ContentBlock[], stop_reason: StopReason | null, extra: Partial<Message> = {}): Message =>
  ({
    id: 'msg_1',
    type: 'message',
    role: 'assistant',
    model: 'claude-sonnet-5-5',
    content,
    stop_reason,
    stop_sequence: null,
    stop_details: null,
    container: null,
    diagnostics: null,
    usage: { input_tokens: 10, output_tokens: 5, cache_creation_input_tokens: null, cache_read_input_tokens: null, cache_creation: null },
    ...extra,
  }) as Message;
