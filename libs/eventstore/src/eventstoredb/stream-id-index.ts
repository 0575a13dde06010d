import type { ResolvedEvent } from '@eventstore/db-client';

interface Indexed {
  /** Revision of the stream's last event read; null while the stream holds nothing. */
  revision: number | null;
  /** Event id (lower case) -> its revision in the stream. */
  ids: Map<string, number>;
}

/**
 * Which event ids each recently used stream holds, caught up by reading only the events after the
 * last one seen. EventStoreDB cannot be asked whether a stream holds an id; without this every
 * append would read its whole stream. Bounded: the least recently used streams are dropped (and
 * read again from the start when next used).
 */
export class StreamIdIndex {
  private readonly streams = new Map<string, Indexed>();
  private size = 0;

  constructor(private readonly maxIds = 200_000) {}

  async catchUp(stream: string, readFrom: (fromRevision: number) => Promise<ResolvedEvent[]>): Promise<Readonly<Indexed>> {
    const entry = this.streams.get(stream) ?? { revision: null, ids: new Map<string, number>() };
    this.streams.delete(stream);
    for (const resolved of await readFrom(entry.revision === null ? 0 : entry.revision + 1)) {
      const e = resolved.event;
      if (!e) continue;
      const revision = Number(e.revision);
      if (!entry.ids.has(e.id.toLowerCase())) this.size++;
      entry.ids.set(e.id.toLowerCase(), revision);
      entry.revision = revision;
    }
    this.keep(stream, entry);
    return entry;
  }

  /** What this process just wrote, so the next append on the stream need not read it back. */
  record(stream: string, events: readonly { id: string }[], firstRevision: number) {
    const entry = this.streams.get(stream);
    if (!entry || entry.revision !== firstRevision - 1) return this.forget(stream);
    events.forEach((e, i) => {
      if (!entry.ids.has(e.id.toLowerCase())) this.size++;
      entry.ids.set(e.id.toLowerCase(), firstRevision + i);
    });
    entry.revision = firstRevision + events.length - 1;
  }

  forget(stream: string) {
    const entry = this.streams.get(stream);
    if (!entry) return;
    this.size -= entry.ids.size;
    this.streams.delete(stream);
  }

  private keep(stream: string, entry: Indexed) {
    this.streams.set(stream, entry);
    for (const [oldest] of this.streams) {
      if (this.size <= this.maxIds || oldest === stream) break;
      this.forget(oldest);
    }
  }
}
