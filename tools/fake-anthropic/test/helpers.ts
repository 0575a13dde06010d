// Test helpers: the real SDK client pointed at a fake, and request pieces.
import Anthropic from '@anthropic-ai/sdk';
import type { FakeAnthropic } from '../src';

export const MODEL = 'claude-opus-4-8';

export function clientFor(fake: FakeAnthropic, maxRetries = 0): Anthropic {
  return new Anthropic({ baseURL: fake.url, apiKey: 'test-key', maxRetries });
}

/** Text of about `tokens` tokens under the fake's estimate (4 chars a token). */
export function filler(tokens: number, seed = 'lorem'): string {
  return `${seed} `.repeat(Math.ceil((tokens * 4) / (seed.length + 1))).slice(0, tokens * 4);
}

/** What the SDK threw, so a test can assert on it. */
export async function rejection(promise: Promise<unknown>): Promise<any> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail, it succeeded');
}
