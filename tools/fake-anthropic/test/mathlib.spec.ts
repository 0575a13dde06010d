import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { MATHLIB_FILES, MATHLIB_PACKAGE_JSON, type FakeAnthropic, mathlib, mathlibLong, startFakeAnthropic, exitedZero } from '../src';
import { Project, runSession } from './agent-loop';
import { clientFor } from './helpers';

function nodeTest(dir: string) {
  return spawnSync(process.execPath, ['--test'], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
}

describe('mathlib script: both agents of the two-agent loop, producing code that passes node --test', () => {
  let fake: FakeAnthropic | undefined;
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'mathlib-'));
  });
  afterEach(async () => {
    await fake?.close();
    fake = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it("the generated files pass node --test when written to a directory", () => {
    writeFileSync(join(dir, 'package.json'), MATHLIB_PACKAGE_JSON);
    for (const { module, test } of Object.values(MATHLIB_FILES)) {
      for (const file of [module, test]) {
        mkdirSync(dirname(join(dir, file.path)), { recursive: true });
        writeFileSync(join(dir, file.path), file.content);
      }
    }
    const result = nodeTest(dir);
    expect(result.stdout).toMatch(/# pass 9\b/);
    expect(result.stdout).toMatch(/# fail 0\b/);
    expect(result.status).toBe(0);
  });

  it('initializer, then coding sessions until no feature is left: 4 features passing, the project green, no model call repeated', async () => {
    const started = await startFakeAnthropic({ script: mathlib });
    fake = started;
    const client = clientFor(started);
    const project = new Project(dir);

    const init = await runSession(client, project, 'initializer');
    expect(init.map((m) => m.stop_reason)).toEqual(['tool_use', 'tool_use', 'end_turn']);
    expect(JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))).toEqual({ name: 'mathlib', scripts: { test: 'node --test' } });
    expect(project.features.map((f) => [f.name, f.depends_on])).toEqual([
      ['add and subtract', []],
      ['multiply and divide', []],
      ['mean and median', []],
      ['parse expressions', ['F1', 'F2']],
    ]);

    const sessions: string[][] = [];
    for (let s = 0; s < 6; s++) {
      const calls = await runSession(client, project, 'coding', s + 1);
      sessions.push(calls.flatMap((m) => m.content.flatMap((b) => (b.type === 'tool_use' ? [b.name] : []))));
      if (calls.length === 2) break; // feature_get_next, then "No feature is left to implement."
    }
    expect(sessions).toHaveLength(5);
    expect(sessions[0]).toEqual(['feature_get_next', 'feature_mark_in_progress', 'write_file', 'write_file', 'bash', 'feature_mark_passing']);
    expect(sessions[4]).toEqual(['feature_get_next']);
    expect(project.features.map((f) => f.status)).toEqual(['passing', 'passing', 'passing', 'passing']);

    const result = nodeTest(dir);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/# pass 9\b/);

    const hashes = started.answered().map((r) => r.bodyHash);
    expect(new Set(hashes).size).toBe(hashes.length);
    const totals = started.totals();
    expect(totals.requests).toBe(3 + 4 * 7 + 2);
    expect(totals.cache_read_input_tokens).toBeGreaterThan(totals.input_tokens + totals.cache_creation_input_tokens);
  });

  it('a re-sent turn gets the same answer (scripts read the request, not a server counter)', async () => {
    const started = await startFakeAnthropic({ script: mathlib });
    fake = started;
    const client = clientFor(started);
    const project = new Project(dir);
    await runSession(client, project, 'initializer');
    const first = await runSession(client, project, 'coding');
    const bodies = started.answered().slice(3).map((r) => r.body as any);
    expect(bodies).toHaveLength(first.length);
    // A runner restarted after a crash re-sends turn N as it was: it gets turn N's answer, ids and all.
    for (const [n, body] of bodies.entries()) {
      const again = await client.messages.stream(body).finalMessage();
      expect(again.content).toEqual(first[n].content);
    }
  });

  it('mathlib-long: a coding session of about 30 model calls whose code still passes', async () => {
    const started = await startFakeAnthropic({ script: mathlibLong });
    fake = started;
    const client = clientFor(started);
    const project = new Project(dir);
    await runSession(client, project, 'initializer');
    const calls = await runSession(client, project, 'coding');
    expect(calls.length).toBeGreaterThanOrEqual(28);
    expect(calls.length).toBeLessThanOrEqual(32);
    expect(project.features[0].status).toBe('passing');
    const usage = started.answered().slice(3).map((r) => r.usage!);
    // From the second call on, all but the newest turn is read from the cache.
    for (const u of usage.slice(1)) expect(u.cache_read_input_tokens).toBeGreaterThan(u.cache_creation_input_tokens);
  });

  it('reads bash results for exit code 0 in the usual shapes', () => {
    expect(exitedZero('exit code: 0\nok')).toBe(true);
    expect(exitedZero('{"exit_code":0,"stdout":""}')).toBe(true);
    expect(exitedZero('{"exitCode": 0}')).toBe(true);
    expect(exitedZero('exit code: 1\nnot ok')).toBe(false);
    expect(exitedZero('exit code: 10')).toBe(false);
  });
});
