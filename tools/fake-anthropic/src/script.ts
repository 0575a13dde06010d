// Scripted conversations. A script answers a request from the request's own content (never from a
// count the server keeps), so a client that crashed and re-sends turn N gets turn N's answer again.
import type { MessagesRequest, OutputBlock, StopReason, ToolResultBlock } from './types';

export interface ScriptContext {
  /** The fake's clock. */
  now: number;
  /** The request's position among all the fake has received (for logs; do not script on it). */
  requestNumber: number;
}

export interface AssistantTurn {
  content: OutputBlock[];
  /** Defaults to `tool_use` when the content holds a tool_use block, else `end_turn`. */
  stop_reason?: StopReason;
  /** Wait this long before answering. */
  latencyMs?: number;
}

export type Script = (request: MessagesRequest, ctx: ScriptContext) => AssistantTurn | Promise<AssistantTurn>;

/** A book is a script that hands each request to one of its scripts: the result of `choose`. */
export type ScriptBook = Script;

export type Turn = AssistantTurn | ((request: MessagesRequest, ctx: ScriptContext) => AssistantTurn);

export function text(value: string): OutputBlock {
  return { type: 'text', text: value };
}

/** A tool call. Without an id, the fake gives it one derived from the request (same request, same id). */
export function toolUse(name: string, input: unknown, id = ''): OutputBlock {
  return { type: 'tool_use', id, name, input };
}

export const stop = {
  endTurn: 'end_turn',
  toolUse: 'tool_use',
  maxTokens: 'max_tokens',
  pauseTurn: 'pause_turn',
  refusal: 'refusal',
  contextWindowExceeded: 'model_context_window_exceeded',
} as const satisfies Record<string, StopReason>;

export function turn(content: OutputBlock[], stop_reason?: StopReason): AssistantTurn {
  return stop_reason ? { content, stop_reason } : { content };
}

/** Turn i answers the request that holds i assistant messages (the i-th model call of a session). */
export function scriptTurns(turns: Turn[]): Script {
  return (request, ctx) => {
    const i = request.messages.filter((m) => m.role === 'assistant').length;
    const next = turns[i];
    if (!next) return { content: [text(`(the script has ${turns.length} turns; this is turn ${i + 1})`)], stop_reason: 'end_turn' };
    return typeof next === 'function' ? next(request, ctx) : next;
  };
}

/** A book: `choose` names one of `scripts` for each request. */
export function scriptBook(scripts: Record<string, Script>, choose: (request: MessagesRequest) => string): ScriptBook {
  return (request, ctx) => {
    const name = choose(request);
    const script = scripts[name];
    if (!script) throw new Error(`script book: no script named ${name} (has ${Object.keys(scripts).join(', ')})`);
    return script(request, ctx);
  };
}

/** The text of a tool_result block's content. */
export function resultText(block: ToolResultBlock): string {
  if (typeof block.content === 'string') return block.content;
  return (block.content ?? []).map((c) => (c.type === 'text' ? (c.text ?? '') : '')).join('');
}

/** The results of the calls to `toolName` in the request, oldest first, as text. */
export function toolResults(request: MessagesRequest, toolName: string): string[] {
  const names = new Map<string, string>();
  const results: string[] = [];
  for (const message of request.messages) {
    if (typeof message.content === 'string') continue;
    for (const block of message.content) {
      if (block.type === 'tool_use') names.set(String(block.id), String(block.name));
      if (block.type === 'tool_result' && names.get(String(block.tool_use_id)) === toolName) results.push(resultText(block as ToolResultBlock));
    }
  }
  return results;
}

/** The latest result of `toolName`, or undefined when it was not called yet. */
export function lastToolResult(request: MessagesRequest, toolName: string): string | undefined {
  return toolResults(request, toolName).at(-1);
}

/** The request's system prompt as one string. */
export function systemText(request: MessagesRequest): string {
  if (typeof request.system === 'string') return request.system;
  return (request.system ?? []).map((b) => b.text).join('\n');
}

/** The script used when none is given: one short answer. */
export const echoScript: Script = () => ({ content: [text('Hello from the fake Messages API.')], stop_reason: 'end_turn' });
