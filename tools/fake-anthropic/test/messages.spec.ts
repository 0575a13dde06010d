import Anthropic from '@anthropic-ai/sdk';
import { type FakeAnthropic, scriptTurns, startFakeAnthropic, text, toolUse } from '../src';
import { MODEL, clientFor } from './helpers';

const writeInput = { path: 'lib/arith.js', content: "'use strict';\nmodule.exports = { add: (a, b) => a + b };\n" };

describe('fake Messages API: answers in the real wire format', () => {
  let fake: FakeAnthropic;
  let client: Anthropic;
  beforeEach(async () => {
    fake = await startFakeAnthropic({
      script: scriptTurns([{ content: [text('Writing the module now.'), toolUse('write_file', writeInput)] }, { content: [text('Done.')] }]),
    });
    client = clientFor(fake);
  });
  afterEach(() => fake.close());

  const request = { model: MODEL, max_tokens: 1024, messages: [{ role: 'user' as const, content: 'Implement add.' }] };

  it('answers a JSON Message with a tool_use block, its stop reason and usage', async () => {
    const { data: message, response } = await client.messages.create(request).withResponse();
    expect(response.headers.get('request-id')).toMatch(/^req_/);
    expect(response.headers.get('content-type')).toContain('application/json');
    expect(message.type).toBe('message');
    expect(message.role).toBe('assistant');
    expect(message.model).toBe(MODEL);
    expect(message.stop_reason).toBe('tool_use');
    expect(message.content[0]).toEqual({ type: 'text', text: 'Writing the module now.', citations: null });
    const call = message.content[1] as Anthropic.ToolUseBlock;
    expect(call).toMatchObject({ type: 'tool_use', name: 'write_file', input: writeInput });
    expect(call.id).toMatch(/^toolu_[A-Za-z0-9]{20,}$/);
    expect(message.usage.input_tokens).toBeGreaterThan(0);
    expect(message.usage.output_tokens).toBeGreaterThan(0);
    expect(message.usage.cache_creation).toEqual({ ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 0 });
    expect(fake.requests[0]).toMatchObject({ requestId: response.headers.get('request-id'), status: 200, stopReason: 'tool_use', streamed: false });
  });

  it('streams message_start, ping, deltas of text and split tool input JSON, message_delta, message_stop; the SDK reassembles them', async () => {
    const stream = client.messages.stream(request);
    const events: Anthropic.MessageStreamEvent[] = [];
    stream.on('streamEvent', (event) => events.push(event));
    const message = await stream.finalMessage();

    const types = events.map((e) => e.type);
    expect(types[0]).toBe('message_start');
    expect(types).toContain('content_block_start');
    expect(types.slice(-2)).toEqual(['message_delta', 'message_stop']);
    const jsonDeltas = events.filter((e) => e.type === 'content_block_delta' && e.delta.type === 'input_json_delta');
    expect(jsonDeltas.length).toBeGreaterThan(1);
    expect(message.content[0]).toMatchObject({ type: 'text', text: 'Writing the module now.' });
    expect(message.content[1]).toMatchObject({ type: 'tool_use', name: 'write_file', input: writeInput });
    expect(message.stop_reason).toBe('tool_use');
    expect(message.usage.output_tokens).toBe(fake.requests[0].usage!.output_tokens);
    expect(message.usage.input_tokens).toBe(fake.requests[0].usage!.input_tokens);
    expect(fake.requests[0].streamed).toBe(true);
  });

  it('sends a ping event on the wire', async () => {
    const response = await fetch(`${fake.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': 'k', 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({ ...request, stream: true }),
    });
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const body = await response.text();
    expect(body).toContain('event: ping\ndata: {"type":"ping"}');
    expect(body.indexOf('event: message_start')).toBeLessThan(body.indexOf('event: ping'));
  });

  it('answers count_tokens with the prompt total, the same the usage of a message counts', async () => {
    const counted = await client.messages.countTokens({ model: MODEL, messages: request.messages });
    const message = await client.messages.create(request);
    expect(counted.input_tokens).toBe(message.usage.input_tokens);
  });

  it('records each request with its body hash: an identical body hashes the same, another turn does not', async () => {
    await client.messages.create(request);
    await client.messages.create(request);
    await client.messages.create({ ...request, messages: [...request.messages, { role: 'assistant', content: 'Hm.' }, { role: 'user', content: 'Go on.' }] });
    const [a, b, c] = fake.requests;
    expect(a.bodyHash).toBe(b.bodyHash);
    expect(c.bodyHash).not.toBe(a.bodyHash);
    expect(fake.answered()).toHaveLength(3);
    expect(fake.totals().requests).toBe(3);
    expect(fake.totals().output_tokens).toBe(a.usage!.output_tokens + b.usage!.output_tokens + c.usage!.output_tokens);
  });
});
