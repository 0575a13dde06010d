// Prompt caching as the API documents it, simulated from the request's cache_control breakpoints.
//
// The prompt is one sequence of blocks in the order tools -> system -> messages. A block carrying
// cache_control (or the last block, when the request's top-level cache_control asks for automatic
// caching) is a breakpoint: it marks the prefix ending with it. On each request:
// - read: the longest prefix found in the cache, looking at each breakpoint and up to 20 block
//   boundaries before it (the API's look-back, so a breakpoint moved forward in a growing
//   conversation still hits the prefix the previous request wrote); the hit is refreshed (its TTL
//   starts again);
// - write: each breakpoint beyond the hit whose prefix reaches the minimum cacheable length is
//   stored with its TTL; the tokens from the hit (or the start) up to it are cache creation, in the
//   bucket of that breakpoint's TTL (5m or 1h);
// - the rest (after the last written breakpoint, or all of it when nothing is cached) is input.
// Not simulated: per-organisation isolation, invalidation by tool_choice/images/thinking changes,
// the 20-block look-back's interaction with the minimum per model (one minimum for all models).
import { createHash } from 'node:crypto';
import { ApiError } from './api-error';
import { canonicalJson, tokensOfBlock, withoutCacheControl } from './tokens';
import type { CacheControl, InputUsage, MessagesRequest } from './types';

const TTL_MS = { '5m': 5 * 60_000, '1h': 60 * 60_000 } as const;
type Ttl = keyof typeof TTL_MS;
const LOOK_BACK_BLOCKS = 20;
const MAX_BREAKPOINTS = 4;

interface PromptBlock {
  /** Hash of the prefix ending with this block. */
  prefixHash: string;
  /** Tokens of the prefix ending with this block. */
  prefixTokens: number;
  ttl?: Ttl;
}

/** The request's prompt as blocks, each with the hash and size of the prefix it ends. */
export function promptBlocks(request: MessagesRequest): PromptBlock[] {
  const raw: Array<{ key: string; block: unknown; cacheControl?: CacheControl | null }> = [];
  for (const tool of request.tools ?? []) raw.push({ key: 'tool', block: tool, cacheControl: tool.cache_control });
  const system = typeof request.system === 'string' ? [{ type: 'text', text: request.system }] : (request.system ?? []);
  for (const block of system) raw.push({ key: 'system', block, cacheControl: (block as { cache_control?: CacheControl }).cache_control });
  request.messages.forEach((message, i) => {
    const content = typeof message.content === 'string' ? [{ type: 'text', text: message.content }] : message.content;
    for (const block of content) raw.push({ key: `messages.${i}.${message.role}`, block, cacheControl: block.cache_control });
  });
  if (request.cache_control && raw.length > 0 && !raw[raw.length - 1].cacheControl) {
    raw[raw.length - 1].cacheControl = request.cache_control;
  }
  const hash = createHash('sha256').update(`model:${request.model}\n`);
  let tokens = 0;
  return raw.map(({ key, block, cacheControl }) => {
    hash.update(`${key}:${canonicalJson(withoutCacheControl(block))}\n`);
    tokens += tokensOfBlock(block);
    return { prefixHash: hash.copy().digest('hex'), prefixTokens: tokens, ttl: cacheControl ? (cacheControl.ttl ?? '5m') : undefined };
  });
}

/** The 400s the API gives for breakpoints: too many, or a 1h one after a 5m one. */
export function checkBreakpoints(blocks: PromptBlock[]): void {
  const ttls = blocks.flatMap((b) => (b.ttl ? [b.ttl] : []));
  if (ttls.length > MAX_BREAKPOINTS) {
    throw ApiError.invalid(`A maximum of ${MAX_BREAKPOINTS} blocks with cache_control may be provided. Found ${ttls.length}.`);
  }
  const first5m = ttls.indexOf('5m');
  if (first5m >= 0 && ttls.slice(first5m).includes('1h')) {
    throw ApiError.invalid(
      "a ttl='1h' cache_control block must not come after a ttl='5m' cache_control block. " +
        "Note that blocks are processed in the following order: `tools`, `system`, `messages`.",
    );
  }
}

export class PromptCache {
  private readonly entries = new Map<string, { expiresAt: number; ttl: Ttl }>();

  constructor(
    private readonly minCacheableTokens: number,
    private readonly now: () => number,
  ) {}

  /** Looks the request's prompt up, writes its new breakpoints, and says how its input tokens count. */
  account(request: MessagesRequest): InputUsage {
    const blocks = promptBlocks(request);
    checkBreakpoints(blocks);
    const total = blocks.length ? blocks[blocks.length - 1].prefixTokens : 0;
    const now = this.now();

    let hit = -1;
    blocks.forEach((block, at) => {
      if (!block.ttl) return;
      for (let p = at; p >= Math.max(0, at - LOOK_BACK_BLOCKS) && p > hit; p--) {
        const entry = this.entries.get(blocks[p].prefixHash);
        if (entry && entry.expiresAt > now) {
          hit = p;
          break;
        }
      }
    });
    const read = hit >= 0 ? blocks[hit].prefixTokens : 0;
    if (hit >= 0) {
      const entry = this.entries.get(blocks[hit].prefixHash)!;
      entry.expiresAt = now + TTL_MS[entry.ttl];
    }

    const creation = { '5m': 0, '1h': 0 };
    let cachedUpTo = read;
    blocks.forEach((block, at) => {
      if (!block.ttl || at <= hit || block.prefixTokens < this.minCacheableTokens) return;
      this.entries.set(block.prefixHash, { expiresAt: now + TTL_MS[block.ttl], ttl: block.ttl });
      creation[block.ttl] += block.prefixTokens - cachedUpTo;
      cachedUpTo = block.prefixTokens;
    });

    const created = creation['5m'] + creation['1h'];
    return {
      input_tokens: total - read - created,
      cache_read_input_tokens: read,
      cache_creation_input_tokens: created,
      cache_creation: { ephemeral_5m_input_tokens: creation['5m'], ephemeral_1h_input_tokens: creation['1h'] },
    };
  }

  /** What the request would cost without touching the cache (count_tokens). */
  static totalTokens(request: MessagesRequest): number {
    const blocks = promptBlocks(request);
    return blocks.length ? blocks[blocks.length - 1].prefixTokens : 0;
  }
}
