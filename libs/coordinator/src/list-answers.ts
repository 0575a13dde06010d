import type { JsonText } from '@autocoder/messaging';
import { poolOf } from '@autocoder/service';
import type { DataSource } from 'typeorm';
import { jsonRows } from './json-rows';

interface Answer {
  /** The checkpoint row as the answer was read; null before the projection has one. */
  version: string | null;
  answer: JsonText<unknown[]>;
}

/**
 * The answers of one read model's lists, kept while that read model is unchanged.
 *
 * A list depends only on its query and the read model's rows, and the rows change only in the
 * projection's transactions, each of which also moves the projection's checkpoint row (position and
 * `updated_at = now()`, which a rebuild changes too). So an answer read in the same snapshot as the
 * checkpoint row is the answer for as long as that row is the same: every request reads the row (one
 * indexed row, far cheaper than 500 rows made into JSON) and gets the kept answer, the same JsonText,
 * until it moves. Several instances share the row, so none serves what another one's projector has
 * replaced, whatever its own projector has seen.
 */
export class ListAnswers {
  private readonly answers = new Map<string, Answer>();
  private keptChars = 0;
  /** Reads under way, by key, with the checkpoint version their caller saw before it started. */
  private readonly reading = new Map<string, { version: string; read: Promise<Answer> }>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly schema: string,
    /** The projection whose tables the lists read. */
    private readonly projection: string,
    /** Distinct queries kept; the least recently used goes first. */
    private readonly maxAnswers = 64,
    /**
     * The text kept in all, in characters: bounds the memory (the gateway keeps what it made of each
     * kept answer as long as it is kept, in process); an answer longer than this is not kept.
     */
    private readonly maxChars = 4 * 1024 * 1024,
  ) {}

  /** `key` names the query (every parameter that changes the answer); `sql` and `parameters` read it as jsonRows does. */
  async list<T>(key: string, sql: string, parameters: unknown[]): Promise<JsonText<T[]>> {
    const version = await this.version(this.dataSource);
    const kept = this.answers.get(key);
    if (kept && version !== null && kept.version === version) {
      this.answers.delete(key);
      this.answers.set(key, kept);
      return kept.answer as JsonText<T[]>;
    }
    // Requests that saw the same version share one read: it started after that version was seen, so
    // its snapshot holds at least that version. (After a change, every client in flight asks at once.)
    const pending = version === null ? undefined : this.reading.get(key);
    if (pending && pending.version === version) return (await pending.read).answer as JsonText<T[]>;
    const reading = this.read<T>(sql, parameters);
    if (version !== null) this.reading.set(key, { version, read: reading });
    let read: Answer;
    try {
      read = await reading;
    } finally {
      if (this.reading.get(key)?.read === reading) this.reading.delete(key);
    }
    // Another read of the same version was kept meanwhile: that one, so callers share one answer.
    const same = this.answers.get(key);
    if (same && read.version !== null && same.version === read.version) return same.answer as JsonText<T[]>;
    this.forget(key);
    // Not projected yet (nothing to tell a change by), or too long to keep: answered, not kept.
    if (read.version === null || read.answer.text.length > this.maxChars) return read.answer as JsonText<T[]>;
    this.answers.set(key, read);
    this.keptChars += read.answer.text.length;
    while (this.answers.size > this.maxAnswers || this.keptChars > this.maxChars) this.forget(this.answers.keys().next().value!);
    return read.answer as JsonText<T[]>;
  }

  /** Rows and checkpoint from one snapshot: the answer is exactly the read model at that version. */
  private read<T>(sql: string, parameters: unknown[]): Promise<Answer> {
    return this.dataSource.transaction('REPEATABLE READ', async (tx): Promise<Answer> => {
      const version = await this.version(tx);
      return { version, answer: (await jsonRows<T>(tx, sql, parameters)) as JsonText<unknown[]> };
    });
  }

  private forget(key: string) {
    const kept = this.answers.get(key);
    if (!kept) return;
    this.answers.delete(key);
    this.keptChars -= kept.answer.text.length;
  }

  /** On the pool itself when not in a transaction: the one query of every answer kept, TypeORM's own steps left out. */
  private async version(db: DataSource | Pick<DataSource, 'query'>): Promise<string | null> {
    const sql = `SELECT position::text || '@' || updated_at::text AS version FROM ${this.schema}.projection_checkpoints WHERE name = $1`;
    const rows: { version: string }[] = db === this.dataSource ? (await poolOf(this.dataSource).query(sql, [this.projection])).rows : await db.query(sql, [this.projection]);
    return rows[0]?.version ?? null;
  }
}
