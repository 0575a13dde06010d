import Anthropic from '@anthropic-ai/sdk';
import { type FakeAnthropic, startFakeAnthropic } from '../src';
import { MODEL, clientFor, rejection } from './helpers';

describe("fake Messages API: the API's own 400 and 404 for requests it refuses", () => {
  let fake: FakeAnthropic;
  let client: Anthropic;
  beforeAll(async () => {
    fake = await startFakeAnthropic();
    client = clientFor(fake);
  });
  afterAll(() => fake.close());
  afterEach(() => jest.restoreAllMocks());

  const base = { model: MODEL, max_tokens: 1024, messages: [{ role: 'user', content: 'hi' }] };
  const toolCall = { type: 'tool_use', id: 'toolu_01A', name: 'read_file', input: { path: 'a' } };

  const cases: Array<[string, Record<string, unknown>, string]> = [
    ['missing model', { max_tokens: 1024, messages: base.messages }, 'model: Field required'],
    ['missing max_tokens', { model: MODEL, messages: base.messages }, 'max_tokens: Field required'],
    ['missing messages', { model: MODEL, max_tokens: 1024 }, 'messages: Field required'],
    ['temperature given', { ...base, temperature: 0.2 }, 'temperature: Extra inputs are not permitted'],
    ['no messages', { ...base, messages: [] }, 'messages: at least one message is required'],
    ['first message from the assistant', { ...base, messages: [{ role: 'assistant', content: 'hi' }] }, 'messages: first message must use the "user" role'],
    [
      'two user messages in a row',
      { ...base, messages: [{ role: 'user', content: 'a' }, { role: 'user', content: 'b' }] },
      'messages: roles must alternate between "user" and "assistant", but found multiple "user" roles in a row',
    ],
    [
      'a tool_use not followed by its tool_result',
      { ...base, messages: [{ role: 'user', content: 'go' }, { role: 'assistant', content: [toolCall] }, { role: 'user', content: 'next?' }] },
      'messages.1: `tool_use` ids were found without `tool_result` blocks immediately after: toolu_01A. Each `tool_use` block must have a corresponding `tool_result` block in the next message.',
    ],
    [
      'a tool_use as the last message',
      { ...base, messages: [{ role: 'user', content: 'go' }, { role: 'assistant', content: [toolCall] }] },
      'messages.1: `tool_use` ids were found without `tool_result` blocks immediately after: toolu_01A. Each `tool_use` block must have a corresponding `tool_result` block in the next message.',
    ],
    [
      'a tool_result for an unknown tool_use id',
      {
        ...base,
        messages: [
          { role: 'user', content: 'go' },
          { role: 'assistant', content: [toolCall] },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_01A', content: 'ok' }, { type: 'tool_result', tool_use_id: 'toolu_01B', content: 'ok' }] },
        ],
      },
      'messages.2.content.1: unexpected `tool_use_id` found in `tool_result` blocks: toolu_01B. Each `tool_result` block must have a corresponding `tool_use` block in the previous message.',
    ],
  ];

  it.each(cases)('%s: the SDK throws a BadRequestError with the API message', async (_name, body, message) => {
    const error = await rejection(client.messages.create(body as never));
    expect(error).toBeInstanceOf(Anthropic.BadRequestError);
    expect(error.type).toBe('invalid_request_error');
    expect(error.apiMessage).toBe(message);
    expect(error.requestID).toMatch(/^req_/);
    expect(error.error).toEqual({ type: 'error', error: { type: 'invalid_request_error', message }, request_id: error.requestID });
  });

  it('a streamed request gets the same 400', async () => {
    const error = await rejection(client.messages.stream({ ...base, temperature: 0 } as never).finalMessage());
    expect(error).toBeInstanceOf(Anthropic.BadRequestError);
    expect(error.apiMessage).toBe('temperature: Extra inputs are not permitted');
  });

  it.each(['claude-sonnet-4-5', 'claude-mythos-preview', 'claude-3-opus-20240229', 'gpt-4'])('model %s (deprecated or unknown): 404 not_found_error', async (model) => {
    jest.spyOn(console, 'warn').mockImplementation(() => undefined); // the SDK's own deprecation warning
    const error = await rejection(client.messages.create({ ...base, model } as never));
    expect(error).toBeInstanceOf(Anthropic.NotFoundError);
    expect(error.type).toBe('not_found_error');
    expect(error.apiMessage).toBe(`model: ${model}`);
  });

  it.each(['claude-opus-4-8', 'claude-sonnet-4-6', 'claude-haiku-4-5', 'claude-sonnet-5-5'])('model %s (current in the SDK list) is served', async (model) => {
    const message = await client.messages.create({ ...base, model } as never);
    expect(message.model).toBe(model);
  });

  it('a well-formed tool exchange is accepted', async () => {
    const message = await client.messages.create({
      ...base,
      messages: [{ role: 'user', content: 'go' }, { role: 'assistant', content: [toolCall] }, { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_01A', content: 'ok' }] }],
    } as never);
    expect(message.stop_reason).toBe('end_turn');
  });
});
