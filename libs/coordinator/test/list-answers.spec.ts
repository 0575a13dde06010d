import { JsonText } from '@autocoder/messaging';
import { openServiceDataSource } from '@autocoder/service';
import { TEST_DATABASE_URL, describeWith, uniqueSchema } from '@autocoder/testing';
import type { DataSource } from 'typeorm';
import { ListAnswers } from '../src/list-answers';

describeWith({ postgres: true }, 'ListAnswers: a list is kept while its projection checkpoint row stays as it was', () => {
  const schema = uniqueSchema('listans');
  let db: DataSource;
  const list = (answers: ListAnswers, key: string, below = 100) =>
    answers.list<{ n: number; label: string }>(key, `SELECT row_to_json(r)::text AS json FROM ${schema}.items r WHERE n < $1 ORDER BY n`, [below]);
  /** What a projector's transaction does: the rows and the checkpoint row change together. */
  const project = (sql: string) => db.transaction(async (tx) => {
    await tx.query(sql);
    await tx.query(`UPDATE ${schema}.projection_checkpoints SET position = position + 1, updated_at = now() WHERE name = 'items'`);
  });

  beforeAll(async () => {
    db = await openServiceDataSource({ url: TEST_DATABASE_URL, schema, entities: [], migrations: [] });
    await db.query(`CREATE TABLE ${schema}.items (n int PRIMARY KEY, label text NOT NULL)`);
    await db.query(`CREATE TABLE ${schema}.projection_checkpoints (name text PRIMARY KEY, position bigint NOT NULL, updated_at timestamptz NOT NULL)`);
    await db.query(`INSERT INTO ${schema}.items VALUES (1, 'one'), (2, 'two')`);
  });
  afterAll(async () => {
    await db?.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await db?.destroy();
  });

  it('answers afresh until the projection has a checkpoint, then the same JsonText until the row moves', async () => {
    const answers = new ListAnswers(db, schema, 'items');
    const unprojected = await list(answers, 'all');
    expect(unprojected.parse()).toEqual([{ n: 1, label: 'one' }, { n: 2, label: 'two' }]);
    expect(await list(answers, 'all')).not.toBe(unprojected);

    await db.query(`INSERT INTO ${schema}.projection_checkpoints VALUES ('items', 0, now())`);
    const kept = await list(answers, 'all');
    expect(await list(answers, 'all')).toBe(kept);

    await project(`INSERT INTO ${schema}.items VALUES (3, 'three')`);
    const moved = await list(answers, 'all');
    expect(moved).not.toBe(kept);
    expect(moved.parse().map((r) => r.label)).toEqual(['one', 'two', 'three']);
    expect(await list(answers, 'all')).toBe(moved);

    // A rebuild sets the position back and replays: the same position, a new updated_at.
    await db.query(`UPDATE ${schema}.projection_checkpoints SET position = 1, updated_at = now() WHERE name = 'items'`);
    await project(`UPDATE ${schema}.items SET label = 'THREE' WHERE n = 3`);
    await db.query(`UPDATE ${schema}.projection_checkpoints SET position = 2, updated_at = now() WHERE name = 'items'`);
    expect((await list(answers, 'all')).parse().map((r) => r.label)).toEqual(['one', 'two', 'THREE']);
  });

  it('shares one read among the requests in flight after a change, and that read holds the change', async () => {
    const answers = new ListAnswers(db, schema, 'items');
    const before = await list(answers, 'all');
    await project(`INSERT INTO ${schema}.items VALUES (4, 'four')`);
    const together = await Promise.all(Array.from({ length: 8 }, () => list(answers, 'all')));
    expect(new Set(together).size).toBe(1);
    expect(together[0]).not.toBe(before);
    expect(together[0].parse().map((r) => r.n)).toEqual([1, 2, 3, 4]);
    expect(await list(answers, 'all')).toBe(together[0]);
  });

  it('keeps one answer per key, and no more text than its budget', async () => {
    const answers = new ListAnswers(db, schema, 'items', 2, 200);
    const all = await list(answers, 'all');
    const two = await list(answers, 'below 2', 2);
    expect(two.parse().map((r) => r.n)).toEqual([1]);
    expect(await list(answers, 'all')).toBe(all);
    expect(await list(answers, 'below 2', 2)).toBe(two);
    await list(answers, 'below 3', 3); // a third key: the least recently used ('all') goes
    expect(await list(answers, 'below 2', 2)).toBe(two);
    expect(await list(answers, 'all')).not.toBe(all);

    const small = new ListAnswers(db, schema, 'items', 64, 30);
    const long = await list(small, 'all'); // longer than the whole budget: answered, never kept
    expect(long).toBeInstanceOf(JsonText);
    expect(await list(small, 'all')).not.toBe(long);
    const short = await list(small, 'below 2', 2);
    expect(short.text.length).toBeLessThanOrEqual(30);
    expect(await list(small, 'below 2', 2)).toBe(short);
  });
});
