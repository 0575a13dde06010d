import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import Anthropic from '@anthropic-ai/sdk';
import { type FakeAnthropic, scriptBook, scriptTurns, startFakeAnthropic, stop, systemText, text, toolUse, turn } from '../src';
import { MODEL, clientFor, filler } from './helpers';

describe('fake Messages API: scripted turns', () => {
  let fake: FakeAnthropic;
  afterEach(() => fake.close());
  const ask = (client: Anthropic, extra: Partial<Anthropic.MessageCreateParamsNonStreaming> = {}) =>
    client.messages.stream({ model: MODEL, max_tokens: 1024, messages: [{ role: 'user', content: 'go' }], ...extra }).finalMessage();

  it.each([stop.endTurn, stop.pauseTurn, stop.refusal, stop.contextWindowExceeded, stop.maxTokens])('a turn may end with %s', async (reason) => {
    fake = await startFakeAnthropic({ script: scriptTurns([turn([text('…')], reason)]) });
    expect((await ask(clientFor(fake))).stop_reason).toBe(reason);
  });

  it('output beyond max_tokens is cut: stop_reason max_tokens, output_tokens = max_tokens, whole blocks kept while they fit', async () => {
    fake = await startFakeAnthropic({ script: scriptTurns([{ content: [text(filler(40)), text(filler(100)), toolUse('write_file', { path: 'a', content: 'b' })] }]) });
    const message = await ask(clientFor(fake), { max_tokens: 60 });
    expect(message.stop_reason).toBe('max_tokens');
    expect(message.usage.output_tokens).toBe(60);
    expect(message.content.map((b) => b.type)).toEqual(['text', 'text']);
    expect((message.content[0] as Anthropic.TextBlock).text).toBe(filler(40));
    expect((message.content[1] as Anthropic.TextBlock).text.length).toBeLessThan(filler(100).length);
  });

  it('a book picks a script per request, here by a marker in the system prompt', async () => {
    fake = await startFakeAnthropic({
      script: scriptBook(
        { reviewer: scriptTurns([turn([text('LGTM')])]), coder: scriptTurns([turn([toolUse('bash', { command: 'node --test' })])]) },
        (request) => (systemText(request).includes('REVIEWER') ? 'reviewer' : 'coder'),
      ),
    });
    const client = clientFor(fake);
    expect((await ask(client, { system: 'You are the REVIEWER.' })).content[0]).toMatchObject({ text: 'LGTM' });
    expect((await ask(client, { system: 'You code.' })).content[0]).toMatchObject({ type: 'tool_use', name: 'bash' });
  });

  it('a turn can wait before answering (latency)', async () => {
    fake = await startFakeAnthropic({ script: scriptTurns([{ content: [text('slow')], latencyMs: 300 }]) });
    const started = Date.now();
    await ask(clientFor(fake));
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  });

  it('setScript swaps the script for the next requests', async () => {
    fake = await startFakeAnthropic();
    const client = clientFor(fake);
    fake.setScript(scriptTurns([turn([text('swapped')])]));
    expect((await ask(client)).content[0]).toMatchObject({ text: 'swapped' });
  });
});

describe('main.ts: the fake as its own process', () => {
  it('prints its URL, serves the mathlib script and records each answered request as a JSON line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fake-anthropic-'));
    const record = join(dir, 'requests.jsonl');
    const child = spawn(process.execPath, ['-r', '@swc-node/register', 'tools/fake-anthropic/src/main.ts', '--script', 'mathlib', '--port', '0', '--record', record], {
      cwd: join(__dirname, '../../..'),
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const line = await new Promise<string>((resolve, reject) => {
        createInterface({ input: child.stdout! }).once('line', resolve);
        child.once('exit', (code) => reject(new Error(`main.ts exited with ${code}`)));
      });
      expect(line).toMatch(/^FAKE_ANTHROPIC_URL=http:\/\/127\.0\.0\.1:\d+$/);
      const client = new Anthropic({ baseURL: line.split('=')[1], apiKey: 'k', maxRetries: 0 });
      const message = await client.messages
        .stream({ model: MODEL, max_tokens: 1024, tools: [{ name: 'feature_create_bulk', input_schema: { type: 'object' } }], messages: [{ role: 'user', content: 'init' }] })
        .finalMessage();
      expect(message.content[1]).toMatchObject({ type: 'tool_use', name: 'write_file', input: { path: 'package.json' } });
      const lines = readFileSync(record, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatchObject({ status: 200, stopReason: 'tool_use', cut: false, bodyHash: expect.stringMatching(/^[0-9a-f]{64}$/) });
      expect(lines[0].usage.output_tokens).toBe(message.usage.output_tokens);
      expect(lines[0]).not.toHaveProperty('body'); // only with --record-bodies (apps/tests/runner-crash.spec.ts reads them)
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
