import { JsonText } from '@autocoder/messaging';
import type { DataSource } from 'typeorm';

/**
 * A timestamptz as `Date.prototype.toISOString` writes it (UTC, milliseconds, "Z"), in SQL. Postgres
 * truncates microseconds here as a JS Date does when pg reads the column.
 */
export const isoTimestampSql = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/**
 * Runs a query whose one column `json` is each row's view as JSON (`row_to_json` in Postgres) and
 * returns the rows as one JSON array. Lists are read this way so that no row is parsed, hydrated
 * into an entity, mapped to a view and serialised again in the service: the text goes to the
 * caller as it is (see JsonText), and the caller parses it once.
 */
export async function jsonRows<T>(dataSource: Pick<DataSource, 'query'>, sql: string, parameters: unknown[]): Promise<JsonText<T[]>> {
  const rows: { json: string }[] = await dataSource.query(sql, parameters);
  let text = '[';
  for (let i = 0; i < rows.length; i++) text += (i ? ',' : '') + rows[i].json;
  return new JsonText<T[]>(text + ']');
}

/** Numbered parameters for a query written by hand: `bind(value)` answers the placeholder of `value`. */
export function sqlParameters() {
  const values: unknown[] = [];
  return { values, bind: (value: unknown) => `$${values.push(value)}` };
}

export const whereSql = (conditions: string[]) => (conditions.length ? `WHERE ${conditions.join(' AND ')}` : '');
