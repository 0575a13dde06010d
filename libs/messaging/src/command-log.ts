import { createHash, randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { AutocoderError, ErrorCodes, actorLabel, isDecision, type Actor, type CommandEnvelope, type ErrorBody, type Reply } from '@autocoder/contracts';
import { DatabaseError, type Pool } from 'pg';

export interface CommandLogOptions {
  pool: Pool;
  /** The owning service's schema: every service keeps its own log. */
  schema: string;
  /** A second request with the same id waits this long for the first one's answer. */
  waitForFirstMs?: number;
  /**
   * A pending command whose run has not shown life for this long is taken over by a retry. Every
   * instance of a service must use the same value: a run trusts, for half of it, that it still owns its id.
   */
  staleAfterMs?: number;
  /** Answers marked sensitive (they carry a secret shown once) are redacted after this long. */
  sensitiveRetentionMs?: number;
}

export interface CommandOutcome<T> {
  value: T;
  /** What to keep once the sensitive retention has passed, e.g. the answer without its secret. */
  redacted?: T;
  /**
   * The command's own events give this answer, and the run's `recover` reads it back from them, so
   * nothing is stored for it. Only honoured for a run that fenced and was given `recover`.
   */
  answeredByEvents?: boolean;
}

/** A command's handle on the reservation of its id. */
export interface CommandRun {
  readonly commandId: string;
  /** 1 for the first reservation of the id; each takeover by a retry hands out the next number. */
  readonly fencingToken: number;
  /** Set when this run took the id over from a run that stopped showing life: what that run noted last. */
  readonly resumed: { progress: unknown } | null;
  /**
   * Call before every write. Makes sure the id is still this run's (reserving it first, for a run
   * that reserves at its first fence) and records `progress` with the reservation: what the command
   * is about to do, for a run that takes over to resume from and for `recover`. Throws when another
   * run owns the id; the log then answers with that run's answer, never with this one's.
   */
  fence(progress?: unknown): Promise<void>;
}

export interface RunOptions<T> {
  /**
   * `start` (the default): reserve the id before executing. `first-fence`: reserve it at the first
   * `fence()`, together with its progress (one statement); a command that decides without writing
   * stores its answer in one statement and never reserves. Such an execute must not write before
   * its first fence: a retry of an id that is taken runs it up to there, and only then answers.
   */
  reserve?: 'start' | 'first-fence';
  /** Reads a command's answer back from what it wrote, given its last progress; null if it has not written. */
  recover?: (progress: unknown) => Promise<CommandOutcome<T> | null>;
}

type Execute<T> = (run: CommandRun) => Promise<CommandOutcome<T>>;

interface Command {
  subject: string;
  commandId: string;
  fingerprint: string;
}

type Row = {
  fingerprint: string;
  reply: Reply<unknown> | null;
  redact_due: boolean;
  owner: string | null;
  progress: unknown;
  stale: boolean;
};

/** Thrown inside a run whose id belongs to another run; the log answers with that run's answer. */
class NotTheOwner extends Error {
  constructor(commandId: string) {
    super(`command ${commandId} is owned by another run`);
  }
}

/** One run's reservation: who it is (owner), and when it last made sure the id was still its own. */
class Reservation implements CommandRun {
  reserved = false;
  /** Learnt from a keep-alive or a fence that found another owner. */
  lost = false;
  /** performance.now() when the last statement that found this run the owner was sent. */
  confirmedAt = -Infinity;
  progress: unknown = null;

  constructor(
    readonly command: Command,
    readonly owner: string,
    public fencingToken: number,
    readonly resumed: { progress: unknown } | null,
    private readonly fenceWith: (run: Reservation, progress: unknown) => Promise<void>,
  ) {}

  get commandId() {
    return this.command.commandId;
  }

  fence(progress?: unknown) {
    return this.fenceWith(this, progress);
  }
}

/** JSON with object keys sorted, so a retry that orders its fields differently is still the same command. */
const byKey = ([a]: [string, unknown], [b]: [string, unknown]) => (a < b ? -1 : a > b ? 1 : 0);
const canonicalJson = (value: unknown): string =>
  JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(byKey)) : v,
  );

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * What makes two requests with one command id the same command: the subject, the payload and the
 * actor (the same id and payload from someone else is not a retry).
 */
export const commandFingerprint = (subject: string, payload: unknown, actor: Actor | undefined): string =>
  createHash('sha256')
    .update(subject)
    .update('\0')
    .update(canonicalJson(payload ?? null))
    .update('\0')
    .update(actor ? actorLabel(actor) : '')
    .digest('hex');

/**
 * Remembers the answer to every command id, so a retried command gets the first answer and is
 * applied once. A run reserves the id with an owner token of its own; a run that stops showing life
 * for `staleAfterMs` is taken over by a retry, and from then on the old run's fences, answer and
 * release are refused: it answers with the new owner's answer. Decisions (domain errors included)
 * are answers; a failure that decided nothing (ErrorOutcomes in contracts) releases the id.
 */
export class CommandLog {
  private lastRedaction = 0;
  /** Reserved runs of this process still executing: one keep-alive statement refreshes them all. */
  private readonly running = new Set<Reservation>();
  private keepAliveTimer?: NodeJS.Timeout;
  private readonly reservations: PendingReservation[] = [];
  private reserving = 0;

  private constructor(private readonly options: Required<CommandLogOptions>) {}

  static async open(options: CommandLogOptions): Promise<CommandLog> {
    const log = new CommandLog({ waitForFirstMs: 15_000, staleAfterMs: 30_000, sensitiveRetentionMs: 10 * 60_000, ...options });
    const s = options.schema;
    const client = await options.pool.connect();
    try {
      await client.query('BEGIN');
      // Instances starting together must not race on the DDL.
      await client.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`${s}.processed_commands`]);
      await client.query(`
        CREATE SCHEMA IF NOT EXISTS ${s};
        CREATE TABLE IF NOT EXISTS ${s}.processed_commands (
          command_id    uuid PRIMARY KEY,
          subject       text NOT NULL,
          fingerprint   text NOT NULL,
          owner         uuid,
          fencing_token bigint NOT NULL DEFAULT 1,
          progress      jsonb,
          reply         jsonb,
          redacted      jsonb,
          started_at    timestamptz NOT NULL DEFAULT now(),
          answered_at   timestamptz,
          redact_at     timestamptz
        );
        ALTER TABLE ${s}.processed_commands
          ADD COLUMN IF NOT EXISTS owner uuid,
          ADD COLUMN IF NOT EXISTS fencing_token bigint NOT NULL DEFAULT 1,
          ADD COLUMN IF NOT EXISTS progress jsonb;
        CREATE INDEX IF NOT EXISTS processed_commands_redact_at ON ${s}.processed_commands (redact_at) WHERE redact_at IS NOT NULL;`);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
    return log;
  }

  private get table() {
    return `${this.options.schema}.processed_commands`;
  }

  private get pool() {
    return this.options.pool;
  }

  /** Runs the command once per id, or answers with the answer its id already has. */
  async run<T>(subject: string, envelope: CommandEnvelope, execute: Execute<T>, options: RunOptions<T> = {}): Promise<T> {
    this.redactNowAndThen();
    const command = { subject, commandId: envelope.commandId, fingerprint: commandFingerprint(subject, envelope.payload, envelope.actor) };
    return this.attempt(command, execute, options, null);
  }

  private async attempt<T>(command: Command, execute: Execute<T>, options: RunOptions<T>, takenOver: TakenOver | null): Promise<T> {
    const owner = takenOver?.owner ?? randomUUID();
    const resumed = takenOver && { progress: takenOver.progress };
    const run = new Reservation(command, owner, takenOver?.fencingToken ?? 1, resumed, (r, p) => this.fence(r, p));
    if (takenOver) this.confirmed(run, takenOver.sentAt, takenOver.progress);
    else if (options.reserve !== 'first-fence' && !(await this.reserve(run, null))) return this.answerOf(command, execute, options);

    let outcome: CommandOutcome<T>;
    try {
      outcome = await execute(run);
    } catch (error) {
      this.running.delete(run);
      return this.failed(run, error, execute, options);
    }
    this.running.delete(run);
    if (outcome.answeredByEvents && options.recover && run.reserved) {
      // Its events are the answer; it stands if no other run can have taken the id before they were written.
      return (await this.stillOwns(run)) ? outcome.value : this.answerOf(command, execute, options);
    }
    const redacted = outcome.redacted === undefined ? null : ({ ok: true, value: outcome.redacted } as Reply<T>);
    if (await this.store(run, { ok: true, value: outcome.value }, redacted)) return outcome.value;
    return this.answerOf(command, execute, options);
  }

  private async failed<T>(run: Reservation, error: unknown, execute: Execute<T>, options: RunOptions<T>): Promise<T> {
    if (error instanceof NotTheOwner) return this.answerOf(run.command, execute, options);
    if (isDecision(error)) {
      if (await this.store(run, { ok: false, error: error.toBody() }, null)) throw error;
      return this.answerOf(run.command, execute, options);
    }
    // Nothing was decided: let go of the id, if it is still this run's, so that a retry runs the command.
    if (!run.reserved) throw error;
    const released = await this.pool
      .query(`DELETE FROM ${this.table} WHERE command_id = $1 AND owner = $2 AND reply IS NULL`, [run.commandId, run.owner])
      .then((r) => r.rowCount === 1)
      // Unknown: the reservation then goes stale and a retry takes it over.
      .catch(() => true);
    if (released) throw error;
    return this.answerOf(run.command, execute, options);
  }

  /** Reserves the id for `run`; false when it already has a row (another run's, or an answer). */
  private reserve(run: Reservation, progress: unknown): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.reservations.push({ run, progress: progress ?? null, resolve, reject });
      this.sendReservations();
    });
  }

  /**
   * Reservations asked for while others are on their way go together: one INSERT of many rows, each
   * inserted unless its id has a row (as alone), in one commit instead of one each.
   */
  private sendReservations() {
    while (this.reserving < RESERVATIONS_IN_FLIGHT && this.reservations.length > 0) {
      const batch = this.reservations.splice(0, RESERVATIONS_PER_STATEMENT);
      this.reserving++;
      void this.insertReservations(batch).finally(() => {
        this.reserving--;
        this.sendReservations();
      });
    }
  }

  private async insertReservations(batch: PendingReservation[]) {
    const sentAt = performance.now();
    let inserted: Set<string>;
    try {
      const { rows } = await this.pool.query<{ owner: string }>(
        `INSERT INTO ${this.table} (command_id, subject, fingerprint, owner, progress)
         SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::uuid[], $5::jsonb[]) ON CONFLICT DO NOTHING RETURNING owner`,
        [
          batch.map((r) => r.run.commandId),
          batch.map((r) => r.run.command.subject),
          batch.map((r) => r.run.command.fingerprint),
          batch.map((r) => r.run.owner),
          batch.map((r) => (r.progress == null ? null : JSON.stringify(r.progress))),
        ],
      );
      inserted = new Set(rows.map((r) => r.owner));
    } catch (error) {
      // The server refused the statement, so none of it was written: alone, each gets its own outcome.
      if (batch.length > 1 && error instanceof DatabaseError) {
        await Promise.all(batch.map((r) => this.insertReservations([r])));
        return;
      }
      for (const r of batch) r.reject(error);
      return;
    }
    for (const r of batch) {
      // Owners are this run's own random ids: a row with it is this run's reservation.
      if (!inserted.has(r.run.owner)) {
        r.resolve(false);
        continue;
      }
      this.confirmed(r.run, sentAt, r.progress);
      r.resolve(true);
    }
  }

  private confirmed(run: Reservation, sentAt: number, progress: unknown) {
    run.reserved = true;
    run.confirmedAt = sentAt;
    run.progress = progress;
    this.running.add(run);
    this.keepAlive();
  }

  /**
   * No other run can have taken the id over while less than half the staleness window has passed
   * since this run was last found the owner (a taker waits for the whole window on the database's
   * clock), so a fence then costs no statement unless it records new progress.
   */
  private fresh(run: Reservation) {
    return performance.now() - run.confirmedAt < this.options.staleAfterMs / 2;
  }

  private async fence(run: Reservation, progress: unknown): Promise<void> {
    if (run.lost) throw new NotTheOwner(run.commandId);
    if (!run.reserved) {
      if (!(await this.reserve(run, progress))) throw new NotTheOwner(run.commandId);
      return;
    }
    const changed = progress !== undefined && canonicalJson(progress) !== canonicalJson(run.progress);
    if (!changed && this.fresh(run)) return;
    const sentAt = performance.now();
    const updated = await this.pool.query(
      `UPDATE ${this.table} SET started_at = now(), progress = CASE WHEN $3 THEN $4::jsonb ELSE progress END
        WHERE command_id = $1 AND owner = $2 AND reply IS NULL`,
      [run.commandId, run.owner, changed, changed ? JSON.stringify(progress) : null],
    );
    if (updated.rowCount !== 1) {
      run.lost = true;
      throw new NotTheOwner(run.commandId);
    }
    run.confirmedAt = sentAt;
    if (changed) run.progress = progress;
  }

  private async stillOwns(run: Reservation): Promise<boolean> {
    if (run.lost) return false;
    if (this.fresh(run)) return true;
    const { rowCount } = await this.pool.query(`SELECT 1 FROM ${this.table} WHERE command_id = $1 AND owner = $2 AND reply IS NULL`, [
      run.commandId,
      run.owner,
    ]);
    return rowCount === 1;
  }

  /** Stores the answer: on this run's reservation if it has one, else as a new row; false if another run has the id. */
  private async store(run: Reservation, reply: Reply<unknown>, redacted: Reply<unknown> | null): Promise<boolean> {
    // $1 id, $2 owner, $3 reply, $4 redacted form, $5 retention (s); a new row also needs $6 subject, $7 fingerprint.
    const retentionSec = this.options.sensitiveRetentionMs / 1000;
    const answer = [run.commandId, run.owner, JSON.stringify(reply), redacted ? JSON.stringify(redacted) : null, retentionSec];
    const redactAt = `CASE WHEN $4::jsonb IS NULL THEN NULL ELSE now() + make_interval(secs => $5) END`;
    const { rowCount } = run.reserved
      ? await this.pool.query(
          `UPDATE ${this.table} SET reply = $3::jsonb, redacted = $4::jsonb, answered_at = now(), redact_at = ${redactAt}
            WHERE command_id = $1 AND owner = $2 AND reply IS NULL`,
          answer,
        )
      : await this.pool.query(
          `INSERT INTO ${this.table} (command_id, owner, reply, redacted, answered_at, redact_at, subject, fingerprint)
           VALUES ($1, $2, $3::jsonb, $4::jsonb, now(), ${redactAt}, $6, $7) ON CONFLICT DO NOTHING`,
          [...answer, run.command.subject, run.command.fingerprint],
        );
    return rowCount === 1;
  }

  /** The answer the id has, or will have: waits for a live owner, takes over a stale one. */
  private async answerOf<T>(command: Command, execute: Execute<T>, options: RunOptions<T>): Promise<T> {
    const deadline = Date.now() + this.options.waitForFirstMs;
    for (;;) {
      const { rows } = await this.pool.query<Row>(
        // Staleness is judged by the database clock: started_at has microseconds a JS Date would lose.
        `SELECT fingerprint, owner, progress, redact_at <= now() AS redact_due,
                CASE WHEN redact_at <= now() THEN redacted ELSE reply END AS reply,
                started_at < now() - make_interval(secs => $2) AS stale
           FROM ${this.table} WHERE command_id = $1`,
        [command.commandId, this.options.staleAfterMs / 1000],
      );
      const row = rows[0];
      if (!row) return this.attempt(command, execute, options, null); // its run failed and let go
      if (row.fingerprint !== command.fingerprint) {
        throw new AutocoderError(
          ErrorCodes.CommandIdReused,
          `command id ${command.commandId} was already used for a different command; send a new id for a new command`,
        );
      }
      if (row.reply) {
        if (row.redact_due) await this.redact(command.commandId);
        if (row.reply.ok) return row.reply.value as T;
        throw AutocoderError.fromBody(row.reply.error as ErrorBody);
      }
      if (options.recover && row.progress != null) {
        const recovered = await options.recover(row.progress);
        if (recovered) return recovered.value;
      }
      if (row.stale) {
        const taken = await this.takeOver(command, row.owner);
        if (taken) return this.attempt(command, execute, options, taken);
      }
      if (Date.now() > deadline) {
        const message = `command ${command.commandId} is still being processed; retry later with the same id`;
        throw new AutocoderError(ErrorCodes.Unavailable, message);
      }
      await sleep(25);
    }
  }

  /** Its run stopped showing life: make the id ours, once. A concurrent taker finds the owner changed. */
  private async takeOver(command: Command, seenOwner: string | null): Promise<TakenOver | null> {
    const owner = randomUUID();
    const sentAt = performance.now();
    const { rows } = await this.pool.query<{ progress: unknown; fencing_token: string }>(
      `UPDATE ${this.table} SET owner = $3, fencing_token = fencing_token + 1, started_at = now()
        WHERE command_id = $1 AND reply IS NULL AND owner IS NOT DISTINCT FROM $2 AND started_at < now() - make_interval(secs => $4)
        RETURNING progress, fencing_token`,
      [command.commandId, seenOwner, owner, this.options.staleAfterMs / 1000],
    );
    return rows[0] ? { owner, sentAt, progress: rows[0].progress, fencingToken: Number(rows[0].fencing_token) } : null;
  }

  /** While runs are reserved, one statement every third of the staleness window shows they live. */
  private keepAlive() {
    if (this.keepAliveTimer) return;
    const every = Math.max(this.options.staleAfterMs / 3, 10);
    this.keepAliveTimer = setInterval(() => {
      if (this.running.size === 0) {
        clearInterval(this.keepAliveTimer);
        this.keepAliveTimer = undefined;
        return;
      }
      const due = [...this.running].filter((run) => !run.lost && performance.now() - run.confirmedAt >= every);
      if (due.length === 0) return;
      const sentAt = performance.now();
      this.pool
        .query<{ command_id: string }>(
          `UPDATE ${this.table} t SET started_at = now() FROM unnest($1::uuid[], $2::uuid[]) AS r(command_id, owner)
            WHERE t.command_id = r.command_id AND t.owner = r.owner AND t.reply IS NULL RETURNING t.command_id`,
          [due.map((run) => run.commandId), due.map((run) => run.owner)],
        )
        .then(({ rows }) => {
          const alive = new Set(rows.map((r) => r.command_id));
          for (const run of due) {
            if (alive.has(run.commandId)) run.confirmedAt = Math.max(run.confirmedAt, sentAt);
            else if (this.running.has(run)) run.lost = true;
          }
        })
        .catch(() => undefined);
    }, every);
    this.keepAliveTimer.unref();
  }

  private redactNowAndThen() {
    if (Date.now() - this.lastRedaction < 60_000) return;
    this.lastRedaction = Date.now();
    // Retries read past a due redaction anyway (answerOf); this only clears the table.
    this.pool
      .query(`UPDATE ${this.table} SET reply = redacted, redacted = NULL, redact_at = NULL WHERE redact_at < now()`)
      .catch(() => undefined);
  }

  private async redact(commandId: string) {
    await this.pool.query(
      `UPDATE ${this.table} SET reply = redacted, redacted = NULL, redact_at = NULL WHERE command_id = $1 AND redact_at <= now()`,
      [commandId],
    );
  }
}

/** Reservation statements on their way at once; the reservations asked for meanwhile wait for the next. */
const RESERVATIONS_IN_FLIGHT = 2;
const RESERVATIONS_PER_STATEMENT = 100;

interface PendingReservation {
  run: Reservation;
  progress: unknown;
  resolve: (reserved: boolean) => void;
  reject: (error: unknown) => void;
}

interface TakenOver {
  owner: string;
  sentAt: number;
  progress: unknown;
  fencingToken: number;
}
