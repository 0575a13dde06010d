import Anthropic from '@anthropic-ai/sdk';
import { type FakeAnthropic, startFakeAnthropic, scriptTurns, text, toolUse } from '../src';
import { MODEL, clientFor, rejection } from './helpers';

describe('fake Messages API: injected faults, consumed in order by the next requests', () => {
  let fake: FakeAnthropic;
  beforeEach(async () => {
    fake = await startFakeAnthropic({ script: scriptTurns([{ content: [text('Reading.'), toolUse('read_file', { path: 'package.json' })] }]) });
  });
  afterEach(() => fake.close());

  const request = { model: MODEL, max_tokens: 1024, messages: [{ role: 'user' as const, content: 'hi' }] };

  it('a 429 carries retry-after; the SDK (maxRetries 2) waits that long, retries and succeeds', async () => {
    fake.failNext({ status: 429, retryAfterSec: 1 });
    const started = Date.now();
    const message = await clientFor(fake, 2).messages.stream(request).finalMessage();
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(message.stop_reason).toBe('tool_use');
    expect(fake.requests.map((r) => r.status)).toEqual([429, 200]);
    expect(fake.requests[0].error).toEqual({ type: 'rate_limit_error', message: expect.any(String) });
  });

  it('the 429 answer itself: status, retry-after header and error body', async () => {
    fake.failNext({ status: 429, retryAfterSec: 7 });
    const error = await rejection(clientFor(fake, 0).messages.create(request));
    expect(error).toBeInstanceOf(Anthropic.RateLimitError);
    expect(error.headers.get('retry-after')).toBe('7');
    expect(error.type).toBe('rate_limit_error');
  });

  it('a 529 then a 500: the SDK retries both and succeeds on the third call', async () => {
    fake.failNext({ status: 529 });
    fake.failNext({ status: 500 });
    const message = await clientFor(fake, 2).messages.stream(request).finalMessage();
    expect(message.content[1]).toMatchObject({ type: 'tool_use', name: 'read_file' });
    expect(fake.requests.map((r) => r.status)).toEqual([529, 500, 200]);
    expect(fake.requests.map((r) => r.error?.type)).toEqual(['overloaded_error', 'api_error', undefined]);
  });

  it('a fault with a count outlasts the retries: the SDK gives up with an OverloadedError', async () => {
    fake.failNext({ status: 529 }, 3);
    const error = await rejection(clientFor(fake, 2).messages.create(request));
    expect(error).toBeInstanceOf(Anthropic.OverloadedError);
    expect(fake.requests).toHaveLength(3);
    expect(fake.answered()).toHaveLength(0);
  });

  it('a 400 with a given message', async () => {
    fake.failNext({ status: 400, message: 'prompt is too long: 210000 tokens > 200000 maximum' });
    const error = await rejection(clientFor(fake, 2).messages.create(request));
    expect(error).toBeInstanceOf(Anthropic.BadRequestError);
    expect(error.apiMessage).toBe('prompt is too long: 210000 tokens > 200000 maximum');
    expect(fake.requests).toHaveLength(1);
  });

  it('a stream cut after 3 events: finalMessage() rejects, and the caller retrying gets the answer', async () => {
    fake.failNext({ cutStreamAfterEvents: 3 });
    const client = clientFor(fake, 2);
    const events: string[] = [];
    const cut = client.messages.stream(request);
    cut.on('streamEvent', (e) => events.push(e.type));
    await expect(cut.finalMessage()).rejects.toThrow();
    // Three events arrived: message_start, ping (the SDK does not surface pings), content_block_start.
    expect(events).toEqual(['message_start', 'content_block_start']);
    expect(fake.requests[0]).toMatchObject({ status: 200, cut: true });

    const message = await client.messages.stream(request).finalMessage();
    expect(message.content[1]).toMatchObject({ type: 'tool_use', name: 'read_file', input: { path: 'package.json' } });
    expect(fake.answered()).toHaveLength(1);
    expect(fake.totals().requests).toBe(1);
  });
});
