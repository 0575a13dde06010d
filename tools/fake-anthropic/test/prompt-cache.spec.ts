import type Anthropic from '@anthropic-ai/sdk';
import { type FakeAnthropic, scriptTurns, startFakeAnthropic, text, toolUse } from '../src';
import { MODEL, clientFor, filler, rejection } from './helpers';

type Params = Anthropic.MessageCreateParamsNonStreaming;
const FIVE_MIN = { type: 'ephemeral' as const };
const ONE_HOUR = { type: 'ephemeral' as const, ttl: '1h' as const };
const tools: Anthropic.Tool[] = [
  { name: 'read_file', description: filler(300, 'read'), input_schema: { type: 'object', properties: { path: { type: 'string' } } } },
  { name: 'write_file', description: filler(300, 'write'), input_schema: { type: 'object', properties: { path: { type: 'string' } } } },
];
const system = filler(1200, 'system');

describe('fake Messages API: prompt caching from cache_control breakpoints', () => {
  let fake: FakeAnthropic;
  let clock: number;
  const start = async (minCacheableTokens = 1024) => {
    clock = 1_000_000;
    fake = await startFakeAnthropic({
      minCacheableTokens,
      now: () => clock,
      script: scriptTurns([
        { content: [toolUse('read_file', { path: 'package.json' })] },
        { content: [toolUse('read_file', { path: 'README.md' })] },
        { content: [text('done')] },
      ]),
    });
    return clientFor(fake);
  };
  afterEach(() => fake.close());

  const total = async (client: Anthropic, params: Params) => (await client.messages.countTokens({ model: params.model, messages: params.messages, system: params.system, tools: params.tools })).input_tokens;

  it('a growing conversation with a moving breakpoint reads the previous prefix and creates only the new part', async () => {
    const client = await start();
    const user0: Anthropic.MessageParam = { role: 'user', content: [{ type: 'text', text: 'Implement the next feature.' }] };
    const first: Params = { model: MODEL, max_tokens: 1024, tools, system, messages: [{ role: 'user', content: [{ type: 'text', text: 'Implement the next feature.', cache_control: FIVE_MIN }] }] };
    const a = await client.messages.create(first);
    const totalA = await total(client, first);
    expect(a.usage).toMatchObject({ cache_read_input_tokens: 0, cache_creation_input_tokens: totalA, input_tokens: 0 });
    expect(a.usage.cache_creation).toEqual({ ephemeral_5m_input_tokens: totalA, ephemeral_1h_input_tokens: 0 });

    const call = a.content[0] as Anthropic.ToolUseBlock;
    const second: Params = {
      ...first,
      messages: [
        user0,
        { role: 'assistant', content: a.content as Anthropic.ContentBlockParam[] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: call.id, content: '{"name":"mathlib"}', cache_control: FIVE_MIN }] },
      ],
    };
    const b = await client.messages.create(second);
    const totalB = await total(client, second);
    expect(b.usage.cache_read_input_tokens).toBe(totalA);
    expect(b.usage.cache_creation_input_tokens).toBe(totalB - totalA);
    expect(b.usage.cache_creation!.ephemeral_5m_input_tokens).toBe(totalB - totalA);
    expect(b.usage.input_tokens).toBe(0);

    // The same request again reads all of it.
    const again = await client.messages.create(second);
    expect(again.usage).toMatchObject({ cache_read_input_tokens: totalB, cache_creation_input_tokens: 0, input_tokens: 0 });
    expect(fake.totals()).toMatchObject({ cache_read_input_tokens: totalA + totalB, cache_creation_input_tokens: totalB, input_tokens: 0 });
  });

  it('tokens after the last breakpoint are input; a breakpoint prefix is counted once', async () => {
    const client = await start();
    const params: Params = { model: MODEL, max_tokens: 1024, tools, system: [{ type: 'text', text: system, cache_control: FIVE_MIN }], messages: [{ role: 'user', content: filler(50, 'question') }] };
    const first = await client.messages.create(params);
    const all = await total(client, params);
    expect(first.usage.cache_creation_input_tokens).toBeGreaterThan(1024);
    expect(first.usage.input_tokens).toBe(all - first.usage.cache_creation_input_tokens!);
    const second = await client.messages.create({ ...params, messages: [{ role: 'user', content: filler(60, 'another') }] });
    expect(second.usage.cache_read_input_tokens).toBe(first.usage.cache_creation_input_tokens);
    expect(second.usage.cache_creation_input_tokens).toBe(0);
  });

  it('puts tokens up to a 1h breakpoint in the 1h bucket and the rest up to a later 5m breakpoint in the 5m bucket', async () => {
    let client = await start();
    const systemOnly: Params = { model: MODEL, max_tokens: 1024, tools, system: [{ type: 'text', text: system, cache_control: ONE_HOUR }], messages: [{ role: 'user', content: 'hi' }] };
    const prefix1h = (await client.messages.create(systemOnly)).usage.cache_creation!.ephemeral_1h_input_tokens;
    expect(prefix1h).toBeGreaterThan(1024);
    await fake.close();

    client = await start();
    const both: Params = { ...systemOnly, messages: [{ role: 'user', content: [{ type: 'text', text: filler(600, 'task'), cache_control: FIVE_MIN }] }] };
    const message = await client.messages.create(both);
    const all = await total(client, both);
    expect(message.usage.cache_creation).toEqual({ ephemeral_1h_input_tokens: prefix1h, ephemeral_5m_input_tokens: all - prefix1h });
    expect(message.usage.cache_creation_input_tokens).toBe(all);
    expect(fake.totals()).toMatchObject({ ephemeral_1h_input_tokens: prefix1h, ephemeral_5m_input_tokens: all - prefix1h });
  });

  it('a 5m entry lives 5 minutes from its last read, a 1h entry an hour (injected clock)', async () => {
    const client = await start();
    const params = (ttl: typeof FIVE_MIN | typeof ONE_HOUR, prompt: string): Params => ({ model: MODEL, max_tokens: 1024, system: [{ type: 'text', text: prompt, cache_control: ttl }], messages: [{ role: 'user', content: 'hi' }] });
    const read = async (p: Params) => (await client.messages.create(p)).usage.cache_read_input_tokens;

    const short = params(FIVE_MIN, system);
    expect(await read(short)).toBe(0);
    clock += 4 * 60_000;
    expect(await read(short)).toBeGreaterThan(0);
    clock += 4 * 60_000; // 8 minutes after the write, 4 after the read that refreshed it
    expect(await read(short)).toBeGreaterThan(0);
    clock += 5 * 60_000 + 1;
    expect(await read(short)).toBe(0);

    const long = params(ONE_HOUR, filler(1200, 'other'));
    expect(await read(long)).toBe(0);
    clock += 50 * 60_000;
    expect(await read(long)).toBeGreaterThan(0);
    clock += 60 * 60_000 + 1;
    expect(await read(long)).toBe(0);
  });

  it('does not cache a prefix shorter than the minimum cacheable length', async () => {
    const client = await start(1024);
    const params: Params = { model: MODEL, max_tokens: 1024, system: [{ type: 'text', text: filler(500), cache_control: FIVE_MIN }], messages: [{ role: 'user', content: 'hi' }] };
    const first = await client.messages.create(params);
    const second = await client.messages.create(params);
    for (const m of [first, second]) {
      expect(m.usage).toMatchObject({ cache_creation_input_tokens: 0, cache_read_input_tokens: 0 });
      expect(m.usage.input_tokens).toBe(await total(client, params));
    }
  });

  it('the minimum is configurable: the same short prefix is cached with a lower minimum', async () => {
    const client = await start(100);
    const params: Params = { model: MODEL, max_tokens: 1024, system: [{ type: 'text', text: filler(500), cache_control: FIVE_MIN }], messages: [{ role: 'user', content: 'hi' }] };
    await client.messages.create(params);
    expect((await client.messages.create(params)).usage.cache_read_input_tokens).toBeGreaterThan(0);
  });

  it('refuses more than 4 breakpoints with the API 400', async () => {
    const client = await start();
    const blocks = [1, 2, 3, 4, 5].map((i) => ({ type: 'text' as const, text: `part ${i}`, cache_control: FIVE_MIN }));
    const error = await rejection(client.messages.create({ model: MODEL, max_tokens: 1024, messages: [{ role: 'user', content: blocks }] }));
    expect(error.status).toBe(400);
    expect(error.apiMessage).toBe('A maximum of 4 blocks with cache_control may be provided. Found 5.');
  });

  it('refuses a 1h breakpoint after a 5m one (longer TTLs must come first)', async () => {
    const client = await start();
    const error = await rejection(
      client.messages.create({
        model: MODEL,
        max_tokens: 1024,
        system: [{ type: 'text', text: system, cache_control: FIVE_MIN }],
        messages: [{ role: 'user', content: [{ type: 'text', text: 'hi', cache_control: ONE_HOUR }] }],
      }),
    );
    expect(error.status).toBe(400);
    expect(error.type).toBe('invalid_request_error');
    expect(error.apiMessage).toContain("ttl='1h' cache_control block must not come after a ttl='5m'");
  });

  it("the request's top-level cache_control caches up to its last block (automatic caching)", async () => {
    const client = await start();
    const params = { model: MODEL, max_tokens: 1024, system, cache_control: FIVE_MIN, messages: [{ role: 'user' as const, content: 'hi' }] } as Params;
    const first = await client.messages.create(params);
    expect(first.usage.cache_creation_input_tokens).toBe(await total(client, params));
    expect((await client.messages.create(params)).usage.cache_read_input_tokens).toBe(first.usage.cache_creation_input_tokens);
  });
});
