// The checks the API makes before it runs a model, with its own 400 (or 404) messages. Only the ones a
// runner can trip over are simulated; everything else the fake accepts.
import { ApiError } from './api-error';
import { isServedModel } from './models';
import type { ContentBlock, MessagesRequest } from './types';

/** Top-level fields of MessageCreateParams in @anthropic-ai/sdk 1.14.0; any other is refused. */
const KNOWN_FIELDS = new Set([
  'model', 'max_tokens', 'messages', 'cache_control', 'container', 'diagnostics', 'inference_geo', 'metadata',
  'output_config', 'service_tier', 'speed', 'stop_sequences', 'stream', 'system', 'thinking', 'tool_choice',
  'tools', 'user_profile_id', 'workspace_id',
]);

export type Endpoint = 'messages' | 'count_tokens';

/** Throws the API's error for a request it would refuse; returns the body typed when it would run it. */
export function validateRequest(body: unknown, endpoint: Endpoint): MessagesRequest {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw ApiError.invalid('The request body is not valid JSON: expected an object.');
  }
  const request = body as Record<string, unknown>;
  const required = endpoint === 'messages' ? ['model', 'max_tokens', 'messages'] : ['model', 'messages'];
  for (const field of required) {
    if (request[field] === undefined) throw ApiError.invalid(`${field}: Field required`);
  }
  // temperature (and top_p/top_k) are gone from this API version: the model sets its own sampling.
  const known = endpoint === 'messages' ? KNOWN_FIELDS : new Set([...KNOWN_FIELDS].filter((f) => f !== 'max_tokens' && f !== 'stream'));
  for (const field of Object.keys(request)) {
    if (!known.has(field)) throw ApiError.invalid(`${field}: Extra inputs are not permitted`);
  }
  if (typeof request.model !== 'string') throw ApiError.invalid('model: Input should be a valid string');
  if (endpoint === 'messages') {
    const maxTokens = request.max_tokens;
    if (typeof maxTokens !== 'number' || !Number.isInteger(maxTokens)) throw ApiError.invalid('max_tokens: Input should be a valid integer');
    if (maxTokens < 1) throw ApiError.invalid('max_tokens: Input should be greater than or equal to 1');
  }
  if (!Array.isArray(request.messages)) throw ApiError.invalid('messages: Input should be a valid list');
  checkSystem(request.system);
  checkTools(request.tools);
  checkMessages(request.messages);
  if (!isServedModel(request.model)) throw new ApiError(404, 'not_found_error', `model: ${request.model}`);
  return request as MessagesRequest;
}

function checkSystem(system: unknown): void {
  if (system === undefined || typeof system === 'string') return;
  if (!Array.isArray(system)) throw ApiError.invalid('system: Input should be a valid string or a list of text blocks');
  system.forEach((block, i) => {
    if (!block || block.type !== 'text' || typeof block.text !== 'string') {
      throw ApiError.invalid(`system.${i}: Input tag '${block?.type}' found using 'type' does not match the expected tag 'text'`);
    }
  });
}

function checkTools(tools: unknown): void {
  if (tools === undefined) return;
  if (!Array.isArray(tools)) throw ApiError.invalid('tools: Input should be a valid list');
  const names = new Set<string>();
  tools.forEach((tool, i) => {
    if (!tool || typeof tool.name !== 'string') throw ApiError.invalid(`tools.${i}.name: Field required`);
    if (names.has(tool.name)) throw ApiError.invalid('tools: Tool names must be unique.');
    names.add(tool.name);
  });
}

function blocksOf(content: unknown): ContentBlock[] {
  return typeof content === 'string' ? [{ type: 'text', text: content }] : (content as ContentBlock[]);
}

function checkMessages(messages: unknown[]): void {
  if (messages.length === 0) throw ApiError.invalid('messages: at least one message is required');
  messages.forEach((m, i) => {
    const message = m as { role?: unknown; content?: unknown };
    if (!message || typeof message !== 'object') throw ApiError.invalid(`messages.${i}: Input should be a valid dictionary`);
    if (message.role !== 'user' && message.role !== 'assistant') {
      throw ApiError.invalid(`messages.${i}.role: Input should be 'user' or 'assistant'`);
    }
    if (message.content === undefined) throw ApiError.invalid(`messages.${i}.content: Field required`);
    if (typeof message.content !== 'string' && !Array.isArray(message.content)) {
      throw ApiError.invalid(`messages.${i}.content: Input should be a valid string or a list of content blocks`);
    }
    const isFinalAssistant = i === messages.length - 1 && message.role === 'assistant';
    if (!isFinalAssistant && (message.content === '' || (message.content as unknown[]).length === 0)) {
      throw ApiError.invalid(`messages.${i}: all messages must have non-empty content except for the optional final assistant message`);
    }
  });
  const roles = messages.map((m) => (m as { role: string }).role);
  if (roles[0] !== 'user') throw ApiError.invalid('messages: first message must use the "user" role');
  for (let i = 1; i < roles.length; i++) {
    if (roles[i] === roles[i - 1]) {
      throw ApiError.invalid(`messages: roles must alternate between "user" and "assistant", but found multiple "${roles[i]}" roles in a row`);
    }
  }
  checkToolPairing(messages.map((m) => blocksOf((m as { content: unknown }).content)), roles);
}

/** Every tool_use is answered by a tool_result in the very next (user) message, and only those. */
function checkToolPairing(contents: ContentBlock[][], roles: string[]): void {
  contents.forEach((blocks, i) => {
    if (roles[i] === 'assistant') {
      const ids = blocks.filter((b) => b.type === 'tool_use').map((b) => String(b.id));
      const answered = new Set((contents[i + 1] ?? []).filter((b) => b.type === 'tool_result').map((b) => String(b.tool_use_id)));
      const missing = ids.filter((id) => !answered.has(id));
      if (missing.length > 0) {
        throw ApiError.invalid(
          `messages.${i}: \`tool_use\` ids were found without \`tool_result\` blocks immediately after: ${missing.join(', ')}. ` +
            'Each `tool_use` block must have a corresponding `tool_result` block in the next message.',
        );
      }
    } else {
      const previous = new Set((contents[i - 1] ?? []).filter((b) => b.type === 'tool_use').map((b) => String(b.id)));
      blocks.forEach((b, k) => {
        if (b.type === 'tool_result' && !previous.has(String(b.tool_use_id))) {
          throw ApiError.invalid(
            `messages.${i}.content.${k}: unexpected \`tool_use_id\` found in \`tool_result\` blocks: ${String(b.tool_use_id)}. ` +
              'Each `tool_result` block must have a corresponding `tool_use` block in the previous message.',
          );
        }
      });
    }
  });
}
