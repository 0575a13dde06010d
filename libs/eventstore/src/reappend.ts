import type { NewEvent } from './event-store';

/** What a store knows of one stored event when it meets its id again. */
export interface StoredForReappend {
  stream: string;
  revision: number;
  position: number;
  type: string;
  data: unknown;
  commandId: string | null;
  /** The append that wrote it: its first revision and number of events; null when not recorded (older events). */
  batch: { firstRevision: number; size: number } | null;
}

export type ReappendVerdict = { kind: 'new' } | { kind: 'duplicate'; revision: number; position: number } | { kind: 'conflict' };

/** JSON equality: object key order does not matter (Postgres compares jsonb the same way). */
export const sameJson = (a: unknown, b: unknown): boolean => {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return (a ?? null) === (b ?? null);
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) return a.length === (b as unknown[]).length && a.every((x, i) => sameJson(x, (b as unknown[])[i]));
  const defined = (o: object) => Object.entries(o).filter(([, v]) => v !== undefined);
  const [ea, eb] = [defined(a), new Map(defined(b))];
  return ea.length === eb.size && ea.every(([k, v]) => eb.has(k) && sameJson(v, eb.get(k)));
};

/**
 * The rule every adapter applies to a batch some of whose ids are stored already (the Postgres store
 * applies it in `append_events`): it is a duplicate only when it is the very batch one append stored,
 * in this stream, at consecutive revisions in this order, with the same type, data and
 * metadata.commandId; any other overlap is a conflict.
 */
export function classifyReappend(stream: string, batch: readonly NewEvent[], storedById: ReadonlyMap<string, StoredForReappend>): ReappendVerdict {
  const stored = batch.map((e) => storedById.get(e.id.toLowerCase()));
  if (stored.every((s) => s === undefined)) return { kind: 'new' };
  const first = stored[0];
  if (!first) return { kind: 'conflict' };
  const exact = batch.every((e, i) => {
    const s = stored[i];
    return (
      s !== undefined &&
      s.stream === stream &&
      s.revision === first.revision + i &&
      (s.batch === null || (s.batch.firstRevision === first.revision && s.batch.size === batch.length)) &&
      s.type === e.type &&
      sameJson(s.data, e.data ?? null) &&
      (s.commandId ?? null) === (e.metadata.commandId ?? null)
    );
  });
  const last = stored[stored.length - 1]!;
  return exact ? { kind: 'duplicate', revision: last.revision, position: last.position } : { kind: 'conflict' };
}
