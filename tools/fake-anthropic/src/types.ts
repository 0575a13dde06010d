// The wire format the fake speaks, kept to the fields the Messages API defines (see
// node_modules/@anthropic-ai/sdk/resources/messages/messages.d.ts). Loose on purpose: the fake must
// read whatever a client sends and answer 400 the way the API does, not fail to type-check it.

export interface CacheControl {
  type: 'ephemeral';
  ttl?: '5m' | '1h';
}

export interface TextBlock {
  type: 'text';
  text: string;
  cache_control?: CacheControl | null;
  [key: string]: unknown;
}

export interface ToolUseBlock {
  type: 'tool_use';
  id: string;
  name: string;
  input: unknown;
  cache_control?: CacheControl | null;
  [key: string]: unknown;
}

export interface ToolResultBlock {
  type: 'tool_result';
  tool_use_id: string;
  content?: string | Array<{ type: string; text?: string; [key: string]: unknown }>;
  is_error?: boolean;
  cache_control?: CacheControl | null;
  [key: string]: unknown;
}

export type ContentBlock = TextBlock | ToolUseBlock | ToolResultBlock | { type: string; cache_control?: CacheControl | null; [key: string]: unknown };

export interface MessageParam {
  role: 'user' | 'assistant' | string;
  content: string | ContentBlock[];
}

export interface ToolParam {
  name: string;
  description?: string;
  input_schema?: unknown;
  cache_control?: CacheControl | null;
  [key: string]: unknown;
}

/** A request body of POST /v1/messages. */
export interface MessagesRequest {
  model: string;
  max_tokens: number;
  messages: MessageParam[];
  system?: string | TextBlock[];
  tools?: ToolParam[];
  stream?: boolean;
  cache_control?: CacheControl | null;
  [key: string]: unknown;
}

export type StopReason =
  | 'end_turn'
  | 'max_tokens'
  | 'stop_sequence'
  | 'tool_use'
  | 'pause_turn'
  | 'refusal'
  | 'model_context_window_exceeded';

/** The assistant's output blocks, as a script writes them (ids are filled in by the helpers). */
export type OutputBlock = { type: 'text'; text: string } | { type: 'tool_use'; id: string; name: string; input: unknown };

export interface Usage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
  cache_creation: { ephemeral_5m_input_tokens: number; ephemeral_1h_input_tokens: number };
}

/** The input side of a usage, computed from the request and the prompt cache. */
export type InputUsage = Omit<Usage, 'output_tokens'>;

/** The Message object the API answers (non-streamed) or assembles (streamed). */
export interface MessageResponse {
  id: string;
  type: 'message';
  role: 'assistant';
  model: string;
  content: Array<Record<string, unknown>>;
  stop_reason: StopReason;
  stop_sequence: null;
  stop_details: null;
  container: null;
  diagnostics: null;
  usage: Usage & {
    inference_geo: null;
    output_tokens_details: null;
    server_tool_use: null;
    service_tier: 'standard';
    speed: null;
  };
}
