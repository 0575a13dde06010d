import { assertSchemaName } from '@autocoder/eventstore';
import type { Pool } from 'pg';

/**
 * Where each reactor is in the log, and which instance may move it. A reactor's effects are not
 * transactional with its checkpoint, so only one instance reacts at a time: it holds a lease that it
 * renews, and every checkpoint move is fenced by the owner id. A second instance waits in standby and
 * takes over when the lease runs out (its holder died), from the last checkpoint.
 */
export class ReactorCheckpoints {
  private constructor(
    private readonly pool: Pool,
    private readonly table: string,
  ) {}

  static async open(pool: Pool, schema: string): Promise<ReactorCheckpoints> {
    const s = assertSchemaName(schema);
    await pool.query(`
      CREATE SCHEMA IF NOT EXISTS ${s};
      CREATE TABLE IF NOT EXISTS ${s}.reactor_checkpoints (
        name        text PRIMARY KEY,
        position    bigint NOT NULL,
        owner       uuid,
        lease_until timestamptz,
        updated_at  timestamptz NOT NULL DEFAULT now()
      )`);
    return new ReactorCheckpoints(pool, `${s}.reactor_checkpoints`);
  }

  /** Takes the lease when it is free, expired or already ours; null when another instance holds it. */
  async claim(name: string, owner: string, leaseMs: number): Promise<{ position: number | null } | null> {
    await this.pool.query(`INSERT INTO ${this.table} (name, position) VALUES ($1, -1) ON CONFLICT (name) DO NOTHING`, [name]);
    const { rows } = await this.pool.query<{ position: string }>(
      `UPDATE ${this.table} SET owner = $2, lease_until = now() + make_interval(secs => $3), updated_at = now()
        WHERE name = $1 AND (owner IS NULL OR owner = $2 OR lease_until < now())
        RETURNING position`,
      [name, owner, leaseMs / 1000],
    );
    if (rows.length === 0) return null;
    const position = Number(rows[0].position);
    return { position: position < 0 ? null : position };
  }

  /** Moves the checkpoint and renews the lease; false when this instance no longer holds it. */
  async advance(name: string, owner: string, position: number, leaseMs: number): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      `UPDATE ${this.table} SET position = greatest(position, $3), lease_until = now() + make_interval(secs => $4), updated_at = now()
        WHERE name = $1 AND owner = $2`,
      [name, owner, position, leaseMs / 1000],
    );
    return rowCount === 1;
  }

  async renew(name: string, owner: string, leaseMs: number): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      `UPDATE ${this.table} SET lease_until = now() + make_interval(secs => $3) WHERE name = $1 AND owner = $2`,
      [name, owner, leaseMs / 1000],
    );
    return rowCount === 1;
  }

  /** Lets a standby instance take over at once instead of waiting for the lease to run out. */
  async release(name: string, owner: string): Promise<void> {
    await this.pool.query(`UPDATE ${this.table} SET owner = NULL, lease_until = NULL WHERE name = $1 AND owner = $2`, [name, owner]);
  }

  async position(name: string): Promise<number | null> {
    const { rows } = await this.pool.query<{ position: string }>(`SELECT position FROM ${this.table} WHERE name = $1`, [name]);
    const position = rows.length ? Number(rows[0].position) : -1;
    return position < 0 ? null : position;
  }
}
