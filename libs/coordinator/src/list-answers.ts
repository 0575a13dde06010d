import type { JsonText } from '@autocoder/messaging';
import { poolOf } from '@autocoder/service';
import type { DataSource } from 'typeorm';
import { jsonRows } from './json-rows';

interface Answer {
  version: string;
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
    // Rows and checkpoint from one snapshot: the answer is exactly the read model at that version.
    const read = await this.dataSource.transaction('REPEATABLE READ', async (tx) => ({
      version: await this.version(tx),
      answer: await jsonRows<T>(tx, sql, parameters),
    }));
    this.forget(key);
    // Not projected yet (nothing to tell a change by), or too long to keep: answered, not kept.
    if (read.version === null || read.answer.text.length > this.maxChars) return read.answer;
    this.answers.set(key, read as Answer);
    this.keptChars += read.answer.text.length;
    while (this.answers.size > this.maxAnswers || this.keptChars > this.maxChars) this.forget(this.answers.keys().next().value!);
    return read.answer;
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
