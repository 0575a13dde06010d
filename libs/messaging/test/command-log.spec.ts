import { randomUUID } from 'node:crypto';
import { AutocoderError, ErrorCodes, type CommandEnvelope } from '@autocoder/contracts';
import { TEST_DATABASE_URL, describeWith, uniqueSchema } from '@autocoder/testing';
import { Pool } from 'pg';
import { CommandLog, type CommandLogOptions, type CommandOutcome } from '../src';

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
