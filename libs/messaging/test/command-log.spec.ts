import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { AutocoderError, ErrorCodes, type CommandEnvelope } from '@autocoder/contracts';
import { TEST_DATABASE_URL, describeWith, uniqueSchema } from '@autocoder/testing';
import { Pool } from 'pg';
import { CommandLog, type CommandLogOptions, type CommandOutcome, type CommandRun } from '../src';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const envelope = <P>(payload: P, commandId: string = randomUUID()): CommandEnvelope<P> => ({
  commandId,
  correlationId: randomUUID(),
  actor: { kind: 'admin' },
  payload,
});

/** An execute function that counts how often it ran and answers with the run number. */
function counted<T>(answer: (run: number) => Promise<CommandOutcome<T>>) {
  const calls = { count: 0 };
  const fn = async () => {
    calls.count += 1;
    return answer(calls.count);
  };
  return { calls, fn };
}

const REPO_ROOT = resolve(__dirname, '..', '..', '..');

/** A command run in a child process (test/fixtures/frozen-command.ts) that the test can freeze and thaw. */
function frozenCommand(env: Record<string, string>) {
  const child = spawn(process.execPath, ['-r', '@swc-node/register', 'libs/messaging/test/fixtures/frozen-command.ts'], {
    cwd: REPO_ROOT,
    env: { ...process.env, NODE_OPTIONS: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const lines = () => stdout.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as Record<string, unknown>);
  const waiting = new Set<() => void>();
  child.stdout!.on('data', (chunk: Buffer) => ((stdout += chunk.toString('utf8')), waiting.forEach((w) => w())));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => (waiting.forEach((w) => w()), r(code))));
  const lineWith = (key: string, timeoutMs = 30_000) =>
    new Promise<Record<string, unknown>>((resolveLine, reject) => {
      const check = () => {
        const line = lines().find((l) => key in l);
        if (line) return done(() => resolveLine(line));
        if (child.exitCode !== null) done(() => reject(new Error(`exited (${child.exitCode}) before printing ${key}: ${stdout}${stderr}`)));
      };
      const timer = setTimeout(() => done(() => reject(new Error(`no ${key} within ${timeoutMs} ms: ${stdout}${stderr}`))), timeoutMs);
      const done = (settle: () => void) => (clearTimeout(timer), waiting.delete(check), settle());
      waiting.add(check);
      check();
    });
  return { child, lineWith, exited, freeze: () => child.kill('SIGSTOP'), thaw: () => child.kill('SIGCONT') };
}

/** Runs `fn`, expects it to reject, and returns the rejection. */
async function rejectionOf(fn: () => Promise<unknown>): Promise<unknown> {
  try {
    await fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection, but it resolved');
}

describeWith({ postgres: true }, 'CommandLog on the real Postgres', () => {
  const schema = uniqueSchema('cmdlog');
  let pool: Pool;
  let log: CommandLog;
  const open = (options: Partial<CommandLogOptions> = {}) => CommandLog.open({ pool, schema, ...options });

  beforeAll(async () => {
    pool = new Pool({ connectionString: TEST_DATABASE_URL, max: 12 });
    log = await open({ waitForFirstMs: 10_000 });
  });

  afterAll(async () => {
    if (!pool) return;
    await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await pool.end();
  });

  it('creates its table in the schema it is given, and opening it twice is harmless', async () => {
    await open();
    const { rows } = await pool.query(`SELECT to_regclass($1) AS t`, [`${schema}.processed_commands`]);
    expect(rows[0].t).not.toBeNull();
  });

  it('a command id run twice returns the first answer and executes once', async () => {
    const { calls, fn } = counted(async (run) => ({ value: { run, agentId: `agent-${run}` } }));
    const command = envelope({ name: 'builder' });

    const first = await log.run('test.register', command, fn);
    // A retry: same id, same payload, rebuilt envelope (new correlation id, as a client's retry would have).
    const second = await log.run('test.register', { ...command, correlationId: randomUUID() }, fn);

    expect(first).toEqual({ run: 1, agentId: 'agent-1' });
    expect(second).toEqual(first);
    expect(calls.count).toBe(1);
  });

  it('treats a retry whose fields come in another order as the same command', async () => {
    const { calls, fn } = counted(async (run) => ({ value: { run } }));
    const id = randomUUID();
    const first = await log.run('test.order', envelope({ a: 1, b: { c: 2, d: 3 } }, id), fn);
    const retry = await log.run('test.order', envelope({ b: { d: 3, c: 2 }, a: 1 }, id), fn);
    expect(retry).toEqual(first);
    expect(calls.count).toBe(1);
  });

  it('different command ids with the same payload are different commands and each executes', async () => {
    const { calls, fn } = counted(async (run) => ({ value: run }));
    const a = await log.run('test.register', envelope({ name: 'same' }), fn);
    const b = await log.run('test.register', envelope({ name: 'same' }), fn);
    expect([a, b]).toEqual([1, 2]);
    expect(calls.count).toBe(2);
  });

  it('10 concurrent runs of the same id execute once and all get the same answer', async () => {
    const { calls, fn } = counted(async (run) => {
      await sleep(150); // long enough for every other run to find the command pending
      return { value: { run, at: Date.now() } };
    });
    const command = envelope({ n: 10 });

    const answers = await Promise.all(Array.from({ length: 10 }, () => log.run('test.concurrent', command, fn)));

    expect(calls.count).toBe(1);
    expect(answers).toHaveLength(10);
    for (const answer of answers) expect(answer).toEqual(answers[0]);
    expect(answers[0].run).toBe(1);
  });

  it('refuses the same id with a different payload or a different subject: COMMAND_ID_REUSED, nothing executed', async () => {
    const first = counted(async () => ({ value: 'first' }));
    const command = envelope({ amount: 1 });
    await log.run('test.pay', command, first.fn);

    const other = counted(async () => ({ value: 'second' }));
    const differentPayload = await rejectionOf(() => log.run('test.pay', { ...command, payload: { amount: 2 } }, other.fn));
    const differentSubject = await rejectionOf(() => log.run('test.refund', command, other.fn));

    for (const error of [differentPayload, differentSubject]) {
      expect(error).toBeInstanceOf(AutocoderError);
      expect((error as AutocoderError).code).toBe(ErrorCodes.CommandIdReused);
      expect((error as AutocoderError).message).toContain(command.commandId);
    }
    expect(other.calls.count).toBe(0);
    // The original command is untouched: its retry still gets its answer.
    expect(await log.run('test.pay', command, other.fn)).toBe('first');
    expect(first.calls.count).toBe(1);
    expect(other.calls.count).toBe(0);
  });

  it('remembers a domain error and re-throws it on retry without re-executing', async () => {
    const details = [{ path: 'payload.name', message: 'taken' }];
    const { calls, fn } = counted<string>(async () => {
      throw new AutocoderError(ErrorCodes.Conflict, 'an agent named builder already exists', details);
    });
    const command = envelope({ name: 'builder' });

    const first = await rejectionOf(() => log.run('test.register', command, fn));
    const retry = await rejectionOf(() => log.run('test.register', command, fn));

    expect(calls.count).toBe(1);
    for (const error of [first, retry]) {
      expect(error).toBeInstanceOf(AutocoderError);
      expect((error as AutocoderError).code).toBe(ErrorCodes.Conflict);
      expect((error as AutocoderError).message).toBe('an agent named builder already exists');
      expect((error as AutocoderError).details).toEqual(details);
    }
    const { rows } = await pool.query(`SELECT reply FROM ${schema}.processed_commands WHERE command_id = $1`, [command.commandId]);
    expect(rows[0].reply).toEqual({ ok: false, error: { code: ErrorCodes.Conflict, message: 'an agent named builder already exists', details } });
  });

  it('does not remember a non-domain error: the retry executes again and can succeed, and that answer is kept', async () => {
    const { calls, fn } = counted<string>(async (run) => {
      if (run === 1) throw new Error('connection reset by peer');
      return { value: `succeeded on run ${run}` };
    });
    const command = envelope({ flaky: true });

    const first = await rejectionOf(() => log.run('test.flaky', command, fn));
    expect(first).not.toBeInstanceOf(AutocoderError);
    expect((first as Error).message).toBe('connection reset by peer');
    const { rowCount } = await pool.query(`SELECT 1 FROM ${schema}.processed_commands WHERE command_id = $1`, [command.commandId]);
    expect(rowCount).toBe(0);

    expect(await log.run('test.flaky', command, fn)).toBe('succeeded on run 2');
    expect(await log.run('test.flaky', command, fn)).toBe('succeeded on run 2');
    expect(calls.count).toBe(2);
  });

  it('keeps no answer when the command failed for want of a decision (conflicts outlasting the retries, a server away): the retry runs it', async () => {
    const transient = [
      new AutocoderError(ErrorCodes.WrongExpectedRevision, 'stream task-1: expected revision 3, but it is at revision 4'),
      new AutocoderError(ErrorCodes.EventIdConflict, 'stream task-1: some of these event ids are already stored'),
      new AutocoderError(ErrorCodes.Unavailable, 'the event store did not answer'),
      new AutocoderError(ErrorCodes.Internal, 'internal error'),
    ];
    for (const failure of transient) {
      const { calls, fn } = counted<string>(async (run) => {
        if (run === 1) throw failure;
        return { value: `decided on run ${run}` };
      });
      const command = envelope({ transient: failure.code });
      const first = await rejectionOf(() => log.run('test.transient', command, fn));
      expect((first as AutocoderError).code).toBe(failure.code);
      expect(await log.run('test.transient', command, fn)).toBe('decided on run 2');
      expect(await log.run('test.transient', command, fn)).toBe('decided on run 2');
      expect(calls.count).toBe(2);
    }
  });

  it('replaces an answer carrying a secret by its redacted form after sensitiveRetentionMs', async () => {
    const shortLog = await open({ sensitiveRetentionMs: 50 });
    const { calls, fn } = counted<{ agentId: string; token: string | null }>(async () => ({
      value: { agentId: 'a-1', token: 'SECRET-TOKEN-123' },
      redacted: { agentId: 'a-1', token: null },
    }));
    const command = envelope({ name: 'keeper' });

    expect(await shortLog.run('test.issue', command, fn)).toEqual({ agentId: 'a-1', token: 'SECRET-TOKEN-123' });

    await sleep(300);
    expect(await shortLog.run('test.issue', command, fn)).toEqual({ agentId: 'a-1', token: null });
    expect(calls.count).toBe(1);
    // The secret is gone from the table itself, not only from the answer.
    const { rows } = await pool.query(
      `SELECT reply::text AS reply, redacted::text AS redacted, redact_at FROM ${schema}.processed_commands WHERE command_id = $1`,
      [command.commandId],
    );
    expect(rows[0].reply).not.toContain('SECRET-TOKEN-123');
    expect(rows[0].redacted).toBeNull();
    expect(rows[0].redact_at).toBeNull();
  });

  it('keeps the full answer (with the secret) for retries within the retention', async () => {
    const { calls, fn } = counted<{ token: string | null }>(async () => ({ value: { token: 'KEEP-ME' }, redacted: { token: null } }));
    const command = envelope({ name: 'within' });
    await log.run('test.issue', command, fn); // default retention: ten minutes
    expect(await log.run('test.issue', command, fn)).toEqual({ token: 'KEEP-ME' });
    expect(calls.count).toBe(1);
  });

  describe('a command whose process died before answering', () => {
    /** Inserts the row a dead process leaves behind: started long ago, never answered. */
    async function leftBehindByADeadProcess(subject: string, payload: unknown, startedAgo: string) {
      // The fingerprint is the log's own: taken from a finished run of the same subject and payload.
      const donor = envelope(payload);
      await log.run(subject, donor, async () => ({ value: 'donor' }));
      const { rows } = await pool.query(`SELECT fingerprint FROM ${schema}.processed_commands WHERE command_id = $1`, [donor.commandId]);
      const command = envelope(payload);
      await pool.query(
        `INSERT INTO ${schema}.processed_commands (command_id, subject, fingerprint, reply, started_at)
         VALUES ($1, $2, $3, NULL, now() - $4::interval)`,
        [command.commandId, subject, rows[0].fingerprint, startedAgo],
      );
      return command;
    }

    it('is taken over and executed once by the retry', async () => {
      const command = await leftBehindByADeadProcess('test.orphan', { name: 'orphan' }, '1 hour');
      const { calls, fn } = counted(async (run) => ({ value: { executedBy: 'retry', run } }));

      const answer = await log.run('test.orphan', command, fn);
      expect(answer).toEqual({ executedBy: 'retry', run: 1 });
      expect(calls.count).toBe(1);
      // From now on it is an ordinary answered command.
      expect(await log.run('test.orphan', command, fn)).toEqual(answer);
      expect(calls.count).toBe(1);
    }, 20_000);

    it('is taken over by exactly one of several concurrent retries; the others get its answer', async () => {
      const command = await leftBehindByADeadProcess('test.orphan', { name: 'orphan-2' }, '1 hour');
      const { calls, fn } = counted(async (run) => {
        await sleep(100);
        return { value: { run } };
      });

      const answers = await Promise.all(Array.from({ length: 6 }, () => log.run('test.orphan', command, fn)));

      expect(calls.count).toBe(1);
      for (const answer of answers) expect(answer).toEqual({ run: 1 });
    }, 20_000);

    it('is taken over once it is older than staleAfterMs, in a log configured with a small value', async () => {
      const quickLog = await open({ staleAfterMs: 200, waitForFirstMs: 5_000 });
      const command = await leftBehindByADeadProcess('test.orphan', { name: 'orphan-3' }, '0 seconds');
      const { calls, fn } = counted(async () => ({ value: 'taken over' }));

      const started = Date.now();
      expect(await quickLog.run('test.orphan', command, fn)).toBe('taken over');
      expect(calls.count).toBe(1);
      expect(Date.now() - started).toBeGreaterThanOrEqual(150);
    }, 20_000);
  });

  describe('a run that reserves its id at its first fence', () => {
    const firstFence = { reserve: 'first-fence' as const };

    it('stores an answer decided without writing in one row; a retry reads again, but gets the first answer', async () => {
      const { calls, fn } = counted(async (run) => ({ value: { nothing: 'to do', run } }));
      const command = envelope({ lazy: 'read-only' });
      expect(await log.run('test.lazy', command, fn, firstFence)).toEqual({ nothing: 'to do', run: 1 });
      // The retry's execute runs up to where it would fence (here: to its end) and its answer is dropped.
      expect(await log.run('test.lazy', command, fn, firstFence)).toEqual({ nothing: 'to do', run: 1 });
      expect(calls.count).toBe(2);
      const { rows } = await pool.query(`SELECT reply, progress FROM ${schema}.processed_commands WHERE command_id = $1`, [command.commandId]);
      expect(rows).toEqual([{ reply: { ok: true, value: { nothing: 'to do', run: 1 } }, progress: null }]);
    });

    it('of concurrent runs that all read first, the one that fences first writes; every caller gets its answer', async () => {
      let writes = 0;
      const fn = async (run: CommandRun) => {
        await sleep(20); // everyone reads
        await run.fence({ step: 'write' });
        writes += 1;
        await sleep(50);
        return { value: `written by ${run.commandId} once` };
      };
      const command = envelope({ lazy: 'concurrent' });
      const answers = await Promise.all(Array.from({ length: 8 }, () => log.run('test.lazy', command, fn, firstFence)));
      expect(writes).toBe(1);
      expect(new Set(answers)).toEqual(new Set([`written by ${command.commandId} once`]));
    });

    it('reservations asked for at once share one statement; each id is reserved with its own progress and run once', async () => {
      const runs = new Map<string, number>();
      const fn = async (run: CommandRun) => {
        await run.fence({ on: `task-${run.commandId}` });
        runs.set(run.commandId, (runs.get(run.commandId) ?? 0) + 1);
        return { value: run.commandId, answeredByEvents: true };
      };
      // Answered by what it wrote (nothing stored after the reservation), read back from its progress.
      const options = { ...firstFence, recover: async (progress: unknown) => ({ value: (progress as { on: string }).on.slice('task-'.length) }) };
      const commands = Array.from({ length: 20 }, (_, n) => envelope({ batch: n }));
      // Each id twice at once: one of the two reserves it, the other gets its answer.
      const answers = await Promise.all(commands.flatMap((c) => [log.run('test.batch', c, fn, options), log.run('test.batch', c, fn, options)]));
      expect(answers).toEqual(commands.flatMap((c) => [c.commandId, c.commandId]));
      expect([...runs.values()]).toEqual(Array(20).fill(1));
      const { rows } = await pool.query<{ command_id: string; progress: unknown; xmin: string }>(
        `SELECT command_id, progress, xmin::text FROM ${schema}.processed_commands WHERE command_id = ANY($1::uuid[])`,
        [commands.map((c) => c.commandId)],
      );
      expect(new Map(rows.map((r) => [r.command_id, r.progress]))).toEqual(new Map(commands.map((c) => [c.commandId, { on: `task-${c.commandId}` }])));
      // At most two statements are on their way; the rest waited for them and went together.
      expect(new Set(rows.map((r) => r.xmin)).size).toBeLessThanOrEqual(3);
    });

    it('a reservation the server refuses fails alone: the others asked for at once are reserved and run', async () => {
      const fn = async (run: CommandRun) => {
        await run.fence({ step: 'write' });
        return { value: `ran ${run.commandId}` };
      };
      // The first two go at once, alone; the next three wait and go together.
      const ids = [randomUUID(), randomUUID(), randomUUID(), 'not-a-uuid', randomUUID()];
      const results = await Promise.allSettled(ids.map((id) => log.run('test.refused', envelope({ id }, id), fn, firstFence)));
      expect(results[3]).toMatchObject({ status: 'rejected', reason: { message: expect.stringMatching(/uuid/) } });
      for (const i of [0, 1, 2, 4]) expect(results[i]).toEqual({ status: 'fulfilled', value: `ran ${ids[i]}` });
    });

    it('answered by its events: nothing is stored, and a retry gets the answer recover reads back from the progress', async () => {
      const written = new Map<string, string>();
      const fn = async (run: CommandRun) => {
        await run.fence({ stream: 'task-7' });
        written.set('task-7', 'claimed by the first run');
        return { value: written.get('task-7')!, answeredByEvents: true };
      };
      const recover = jest.fn(async (progress: unknown) => {
        const value = written.get((progress as { stream: string }).stream);
        return value ? { value } : null;
      });
      const command = envelope({ lazy: 'events' });
      expect(await log.run('test.lazy', command, fn, { ...firstFence, recover })).toBe('claimed by the first run');
      const { rows } = await pool.query(`SELECT reply, progress FROM ${schema}.processed_commands WHERE command_id = $1`, [command.commandId]);
      expect(rows).toEqual([{ reply: null, progress: { stream: 'task-7' } }]);

      // The retry stops at its fence: the id is taken, and recover reads the answer from the events.
      let retryWrote = false;
      const retry = async (run: CommandRun) => {
        await run.fence({ stream: 'task-7' });
        retryWrote = true;
        return { value: 'must not write', answeredByEvents: true };
      };
      expect(await log.run('test.lazy', command, retry, { ...firstFence, recover })).toBe('claimed by the first run');
      expect(retryWrote).toBe(false);
      expect(recover).toHaveBeenCalledWith({ stream: 'task-7' });
    });

    it('a run that takes over resumes from the progress the stopped run recorded, with the next fencing token', async () => {
      // The first run's log shows life only every 20 s (as a starved keep-alive would); the second judges staleness after 150 ms.
      const starved = await open({ staleAfterMs: 60_000 });
      const quick = await open({ staleAfterMs: 150, waitForFirstMs: 5_000 });
      const command = envelope({ lazy: 'resume' });
      let firstRun!: CommandRun;
      let stop!: () => void;
      const stopped = new Promise<void>((r) => (stop = r));
      const first = starved.run('test.lazy', command, async (run) => {
        firstRun = run;
        await run.fence({ trying: 'task-1' });
        await stopped;
        await run.fence({ trying: 'task-2' });
        return { value: 'first run' };
      }, firstFence);
      await sleep(300);
      const seen: unknown[] = [];
      const second = await quick.run('test.lazy', command, async (run) => {
        // Its first try stops at the fence (the id is reserved); the try after the takeover gets past it.
        await run.fence({ trying: 'task-1', again: true });
        seen.push(run.resumed, run.fencingToken);
        return { value: 'second run' };
      }, firstFence);
      stop();
      expect(await first).toBe('second run');
      expect(second).toBe('second run');
      expect(seen).toEqual([{ progress: { trying: 'task-1' } }, 2]);
      expect(firstRun.fencingToken).toBe(1);
    });
  });

  it('does not take over a command that runs longer than staleAfterMs but is still alive', async () => {
    const quick = await open({ staleAfterMs: 300, waitForFirstMs: 5_000 });
    const command = envelope({ slow: true });
    let runs = 0;
    const slow = async () => {
      runs += 1;
      await sleep(1_200); // four times the staleness bound
      return { value: `run ${runs}` };
    };
    const first = quick.run('test.slow', command, slow);
    await sleep(100);
    const retry = quick.run('test.slow', command, slow);
    expect(await first).toBe('run 1');
    expect(await retry).toBe('run 1');
    expect(runs).toBe(1);
  }, 20_000);

  it('a retry of a command still running (not stale) waits, and gives up with UNAVAILABLE after waitForFirstMs', async () => {
    const impatient = await open({ waitForFirstMs: 200, staleAfterMs: 60_000 });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const slow = counted(async () => {
      await gate;
      return { value: 'slow answer' };
    });
    const command = envelope({ slow: true });

    const firstRun = log.run('test.slow', command, slow.fn);
    await sleep(50); // the first run has claimed the id
    const other = counted(async () => ({ value: 'should not run' }));
    const started = Date.now();
    const error = await rejectionOf(() => impatient.run('test.slow', command, other.fn));
    expect(error).toBeInstanceOf(AutocoderError);
    expect((error as AutocoderError).code).toBe(ErrorCodes.Unavailable);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(other.calls.count).toBe(0);

    release();
    expect(await firstRun).toBe('slow answer');
    expect(await impatient.run('test.slow', command, other.fn)).toBe('slow answer');
    expect(other.calls.count).toBe(0);
    expect(slow.calls.count).toBe(1);
  });
});

describeWith({ postgres: true }, 'CommandLog: a first run that is alive but frozen past staleAfterMs (real processes)', () => {
  const schema = uniqueSchema('cmdfrozen');
  const STALE_MS = 300;
  let pool: Pool;
  let log: CommandLog;
  const frozen: ReturnType<typeof frozenCommand>[] = [];

  beforeAll(async () => {
    pool = new Pool({ connectionString: TEST_DATABASE_URL, max: 6 });
    log = await CommandLog.open({ pool, schema, staleAfterMs: STALE_MS, waitForFirstMs: 20_000 });
    await pool.query(`CREATE TABLE ${schema}.applications (n serial PRIMARY KEY, command_id uuid NOT NULL, applied_by text NOT NULL)`);
  });

  afterAll(async () => {
    for (const f of frozen) if (f.child.exitCode === null) f.child.kill('SIGKILL');
    if (!pool) return;
    await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await pool.end();
  });

  const applications = async (commandId: string) =>
    (await pool.query<{ applied_by: string }>(`SELECT applied_by FROM ${schema}.applications WHERE command_id = $1 ORDER BY n`, [commandId])).rows.map((r) => r.applied_by);
  const stored = async (commandId: string) => (await pool.query(`SELECT reply FROM ${schema}.processed_commands WHERE command_id = $1`, [commandId])).rows[0]?.reply ?? null;

  /** Starts run A in its own process and freezes it once it is executing, for three staleness windows. */
  async function frozenFirstRun(command: CommandEnvelope, afterPause: 'apply' | 'fail') {
    const a = frozenCommand({
      DATABASE_URL: TEST_DATABASE_URL,
      SCHEMA: schema,
      SUBJECT: 'test.frozen',
      ENVELOPE: JSON.stringify(command),
      STALE_AFTER_MS: String(STALE_MS),
      NAME: 'A',
      PAUSE_MS: '1500',
      AFTER_PAUSE: afterPause,
    });
    frozen.push(a);
    await a.lineWith('executing');
    a.freeze();
    await sleep(3 * STALE_MS); // A shows no life: its keep-alive cannot run
    return a;
  }

  /** The same command as the frozen one: it appends one application and answers with its name. */
  const applying = (name: string, commandId: string) => async (run?: { fence?: () => Promise<void> }) => {
    await run?.fence?.();
    await pool.query(`INSERT INTO ${schema}.applications (command_id, applied_by) VALUES ($1, $2)`, [commandId, name]);
    return { value: name };
  };

  it('applies the command once, and the frozen run, once thawed, answers with the answer of the run that took over', async () => {
    const command = envelope({ frozen: 'apply' });
    const a = await frozenFirstRun(command, 'apply');

    const b = await log.run('test.frozen', command, applying('B', command.commandId));
    a.thaw();
    const aLine = await a.lineWith('answer').catch(async (error) => ({ failed: String(error) }));
    await a.exited;

    expect({ b, a: aLine }).toEqual({ b: 'B', a: { answer: 'B' } });
    expect(await applications(command.commandId)).toEqual(['B']);
    expect(await stored(command.commandId)).toEqual({ ok: true, value: 'B' });
    // And a later retry gets that same answer, without applying anything.
    expect(await log.run('test.frozen', command, applying('C', command.commandId))).toBe('B');
    expect(await applications(command.commandId)).toEqual(['B']);
  }, 60_000);

  it('a frozen run that fails after it was taken over leaves the taker\'s answer alone: a third run gets it', async () => {
    const command = envelope({ frozen: 'fail' });
    const a = await frozenFirstRun(command, 'fail');

    const b = await log.run('test.frozen', command, applying('B', command.commandId));
    a.thaw();
    const aLine = await Promise.race([a.lineWith('answer'), a.lineWith('error')]);
    await a.exited;
    const c = await log.run('test.frozen', command, applying('C', command.commandId));

    expect({ b, c }).toEqual({ b: 'B', c: 'B' });
    expect(await applications(command.commandId)).toEqual(['B']);
    // The loser's caller gets the one stored answer too.
    expect(aLine).toEqual({ answer: 'B' });
  }, 60_000);
});
