import type { ModelUsage } from '@autocoder/contracts';
import type { Message } from '@anthropic-ai/sdk/resources/messages';

/**
 * The token buckets of a response as the API reports them. Cache writes are split by TTL when the
 * API says (`cache_creation`); a bare `cache_creation_input_tokens` is counted as 5-minute writes,
 * the default TTL.
 */
export function usageOf(message: Pick<Message, 'usage'>): ModelUsage {
  const u = message.usage;
  const split = u.cache_creation;
  const hasSplit = split != null && (split.ephemeral_5m_input_tokens != null || split.ephemeral_1h_input_tokens != null);
  return {
    input: u.input_tokens ?? 0,
    output: u.output_tokens ?? 0,
    cacheWrite5m: hasSplit ? (split.ephemeral_5m_input_tokens ?? 0) : (u.cache_creation_input_tokens ?? 0),
    cacheWrite1h: hasSplit ? (split.ephemeral_1h_input_tokens ?? 0) : 0,
    cacheRead: u.cache_read_input_tokens ?? 0,
  };
}
