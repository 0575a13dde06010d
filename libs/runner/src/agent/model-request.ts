import type {
  CacheControlEphemeral,
  ContentBlockParam,
  MessageCreateParamsStreaming,
  MessageParam,
  TextBlockParam,
  Tool,
} from '@anthropic-ai/sdk/resources/messages';

/** The API's limit of cache_control breakpoints in one request. */
export const MAX_CACHE_BREAKPOINTS = 4;

export interface ModelRequestInput {
  model: string;
  maxTokens: number;
  system: string;
  tools: readonly Tool[];
  messages: readonly MessageParam[];
  /**
   * TTL of the stable prefix's breakpoints (tools, system), which every session of a kind shares;
   * the API's default (5m) when omitted. The moving breakpoint stays at 5m: each turn writes it anew.
   */
  cacheTtl?: '5m' | '1h';
  /**
   * Also mark the user turn before the latest one, so a turn that added more than the cache's
   * 20-block lookback still finds the previous request's prefix.
   */
  cachePreviousUserTurn?: boolean;
}

// Thinking blocks cannot carry a breakpoint; any other top-level block can.
const cacheable = (block: ContentBlockParam) => block.type !== 'thinking' && block.type !== 'redacted_thinking';

const withoutCacheControl = (block: ContentBlockParam): ContentBlockParam => {
  if (!('cache_control' in block)) return { ...block };
  const { cache_control: _, ...rest } = block;
  return rest as ContentBlockParam;
};

/** Text content as a block list: the same message must serialize the same in every later request. */
const blocksOf = (message: MessageParam): ContentBlockParam[] =>
  typeof message.content === 'string' ? [{ type: 'text', text: message.content }] : message.content.map(withoutCacheControl);

/** Puts a breakpoint on the message's last block that can carry one; false when none can. */
function markLastBlock(message: { content: ContentBlockParam[] }, control: CacheControlEphemeral): boolean {
  for (let i = message.content.length - 1; i >= 0; i--) {
    const block = message.content[i];
    if (cacheable(block)) {
      message.content[i] = { ...block, cache_control: control } as ContentBlockParam;
      return true;
    }
  }
  return false;
}

/**
 * The streaming params of one model call. The prefix (tools, then the system prompt) is the same
 * bytes in every turn, with a breakpoint on the last tool and on the system block; one breakpoint
 * moves to the last block of the latest message. The caller's messages are copied, never changed
 * (breakpoints they carry are dropped, which keeps the total within the API's 4). No temperature:
 * this API version takes none.
 */
export function buildModelRequest(input: ModelRequestInput): MessageCreateParamsStreaming {
  const prefixControl: CacheControlEphemeral = input.cacheTtl ? { type: 'ephemeral', ttl: input.cacheTtl } : { type: 'ephemeral' };
  const tools = input.tools.map((tool, i) => (i === input.tools.length - 1 ? { ...tool, cache_control: prefixControl } : { ...tool }));
  const system: TextBlockParam[] = [{ type: 'text', text: input.system, cache_control: prefixControl }];
  // Roles are kept as given; system messages hold text blocks only, which blocksOf keeps as they are.
  const messages = input.messages.map((m) => ({ role: m.role, content: blocksOf(m) }) as MessageParam & { content: ContentBlockParam[] });

  const latest = messages.at(-1);
  if (latest) markLastBlock(latest, { type: 'ephemeral' });
  if (input.cachePreviousUserTurn) {
    for (let i = messages.length - 2; i >= 0; i--) {
      if (messages[i].role === 'user') {
        markLastBlock(messages[i], { type: 'ephemeral' });
        break;
      }
    }
  }

  const params: MessageCreateParamsStreaming = {
    model: input.model,
    max_tokens: input.maxTokens,
    ...(tools.length ? { tools } : {}),
    system,
    messages,
    stream: true,
  };
  const breakpoints = countCacheBreakpoints(params);
  if (breakpoints > MAX_CACHE_BREAKPOINTS) throw new Error(`bug: ${breakpoints} cache breakpoints, the API allows ${MAX_CACHE_BREAKPOINTS}`);
  return params;
}

/** The cache_control breakpoints of a request: tools, system blocks and top-level message blocks. */
export function countCacheBreakpoints(params: Pick<MessageCreateParamsStreaming, 'tools' | 'system' | 'messages'>): number {
  const marked = (x: unknown) => (typeof x === 'object' && x !== null && (x as { cache_control?: unknown }).cache_control ? 1 : 0);
  const sum = (xs: readonly unknown[]) => xs.reduce<number>((n, x) => n + marked(x), 0);
  return (
    sum(params.tools ?? []) +
    (Array.isArray(params.system) ? sum(params.system) : 0) +
    params.messages.reduce((n, m) => n + (typeof m.content === 'string' ? 0 : sum(m.content)), 0)
  );
}
