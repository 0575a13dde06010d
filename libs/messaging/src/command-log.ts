import { createHash } from 'node:crypto';
import { AutocoderError, ErrorCodes, actorLabel, type CommandEnvelope, type ErrorBody, type Reply } from '@autocoder/contracts';
import type { Pool } from 'pg';

export interface CommandLogOptions {
  pool: Pool;
  /** The owning service's schema: every service keeps its own log. */
  schema: string;
  /** A second request with the same id waits this long for the first one's answer. */
  waitForFirstMs?: number;
  /** A pending command whose process has not shown life for this long is taken to have died. */
  staleAfterMs?: number;
  /** Answers marked sensitive (they carry a secret shown once) are redacted after this long. */
  sensitiveRetentionMs?: number;
}

export interface CommandOutcome<T> {
  value: T;
  /** What to keep once the sensitive retention has passed, e.g. the answer without its secret. */
  redacted?: T;
}

type Row = { fingerprint: string; reply: Reply<unknown> | null; stale: boolean };

/** JSON with object keys sorted, so a retry that orders its fields differently is still the same command. */
const canonicalJson = (value: unknown): string =>
  JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Remembers the answer to every command id, so a retried command gets the first answer and is
 * never applied twice. Domain errors are answers too; infrastructure failures are not kept, so the
 * retry can succeed.
 */
export class CommandLog {
  private lastRedaction = 0;

  private constructor(private readonly options: Required<CommandLogOptions>) {}

  static async open(options: CommandLogOptions): Promise<CommandLog> {
    const log = new CommandLog({ waitForFirstMs: 15_000, staleAfterMs: 30_000, sensitiveRetentionMs: 10 * 60_000, ...options });
    const s = options.schema;
    await options.pool.query(`
      CREATE SCHEMA IF NOT EXISTS ${s};
      CREATE TABLE IF NOT EXISTS ${s}.processed_commands (
        command_id  uuid PRIMARY KEY,
        subject     text NOT NULL,
        fingerprint text NOT NULL,
        reply       jsonb,
        redacted    jsonb,
        started_at  timestamptz NOT NULL DEFAULT now(),
        answered_at timestamptz,
        redact_at   timestamptz
      );
      CREATE INDEX IF NOT EXISTS processed_commands_redact_at ON ${s}.processed_commands (redact_at) WHERE redact_at IS NOT NULL;`);
    return log;
  }

  private get table() {
    return `${this.options.schema}.processed_commands`;
  }

  async run<T>(subject: string, envelope: CommandEnvelope, execute: () => Promise<CommandOutcome<T>>): Promise<T> {
    const { pool } = this.options;
    if (Date.now() - this.lastRedaction > 60_000) await this.redactExpired();
    // The actor is part of the command: the same id and payload from someone else is not a retry.
    const actor = envelope.actor ? actorLabel(envelope.actor) : '';
    const fingerprint = createHash('sha256').update(subject).update('\0').update(canonicalJson(envelope.payload ?? null)).update('\0').update(actor).digest('hex');
    const inserted = await pool.query(
      `INSERT INTO ${this.table} (command_id, subject, fingerprint) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING command_id`,
      [envelope.commandId, subject, fingerprint],
    );
    if (inserted.rowCount === 1) return this.execute(envelope.commandId, execute);
    return this.answerRepeat(subject, envelope, fingerprint, execute);
  }

  private async execute<T>(commandId: string, execute: () => Promise<CommandOutcome<T>>): Promise<T> {
    // A command still running keeps its claim fresh, so a retry waits for it rather than taking
    // it over: only one whose process died goes stale.
    const keepAlive = setInterval(() => {
      this.options.pool
        .query(`UPDATE ${this.table} SET started_at = now() WHERE command_id = $1 AND reply IS NULL`, [commandId])
        .catch(() => undefined);
    }, Math.max(this.options.staleAfterMs / 3, 10));
    let outcome: CommandOutcome<T>;
    try {
      outcome = await execute();
    } catch (error) {
      clearInterval(keepAlive);
      if (error instanceof AutocoderError) {
        await this.answer(commandId, { ok: false, error: error.toBody() }, null);
      } else {
        await this.options.pool.query(`DELETE FROM ${this.table} WHERE command_id = $1`, [commandId]).catch(() => undefined);
      }
      throw error;
    }
    clearInterval(keepAlive);
    const redacted = outcome.redacted === undefined ? null : ({ ok: true, value: outcome.redacted } as Reply<T>);
    await this.answer(commandId, { ok: true, value: outcome.value }, redacted);
    return outcome.value;
  }

  private async answer(commandId: string, reply: Reply<unknown>, redacted: Reply<unknown> | null) {
    await this.options.pool.query(
      `UPDATE ${this.table}
          SET reply = $2::jsonb, redacted = $3::jsonb, answered_at = now(),
              redact_at = CASE WHEN $3::jsonb IS NULL THEN NULL ELSE now() + make_interval(secs => $4) END
        WHERE command_id = $1`,
      [commandId, JSON.stringify(reply), redacted ? JSON.stringify(redacted) : null, this.options.sensitiveRetentionMs / 1000],
    );
  }

  private async answerRepeat<T>(
    subject: string,
    envelope: CommandEnvelope,
    fingerprint: string,
    execute: () => Promise<CommandOutcome<T>>,
  ): Promise<T> {
    const deadline = Date.now() + this.options.waitForFirstMs;
    for (;;) {
      await this.redactExpired();
      const { rows } = await this.options.pool.query<Row>(
        // Staleness is judged by the database clock: started_at has microseconds a JS Date would lose.
        `SELECT fingerprint, reply, started_at < now() - make_interval(secs => $2) AS stale FROM ${this.table} WHERE command_id = $1`,
        [envelope.commandId, this.options.staleAfterMs / 1000],
      );
      const row = rows[0];
      if (!row) return this.run(subject, envelope, execute); // the first attempt failed and let go
      if (row.fingerprint !== fingerprint) {
        throw new AutocoderError(
          ErrorCodes.CommandIdReused,
          `command id ${envelope.commandId} was already used for a different command; send a new id for a new command`,
        );
      }
      if (row.reply) {
        if (row.reply.ok) return row.reply.value as T;
        throw AutocoderError.fromBody(row.reply.error as ErrorBody);
      }
      if (row.stale) {
        // Its process died before answering: take it over, once, by moving started_at. A concurrent
        // taker re-checks the condition after the first one's update and finds the row fresh again.
        const taken = await this.options.pool.query(
          `UPDATE ${this.table} SET started_at = now()
            WHERE command_id = $1 AND reply IS NULL AND started_at < now() - make_interval(secs => $2)`,
          [envelope.commandId, this.options.staleAfterMs / 1000],
        );
        if (taken.rowCount === 1) return this.execute(envelope.commandId, execute);
      }
      if (Date.now() > deadline) {
        throw new AutocoderError(ErrorCodes.Unavailable, `command ${envelope.commandId} is still being processed; retry later with the same id`);
      }
      await sleep(25);
    }
  }

  /** Replaces answers that carried a secret by their redacted form once their time is up. */
  private async redactExpired() {
    this.lastRedaction = Date.now();
    await this.options.pool.query(
      `UPDATE ${this.table} SET reply = redacted, redacted = NULL, redact_at = NULL WHERE redact_at IS NOT NULL AND redact_at < now()`,
    );
  }
}
