/** What the session needs of PGlite: its public protocol API (a structural type, so tests can fake it). */
export interface PGliteProtocol {
  runExclusive<T>(fn: () => Promise<T>): Promise<T>;
  execProtocolRawStream(message: Uint8Array, options: { onRawData: (data: Uint8Array) => void }): Promise<void>;
}

interface Pending {
  connection: number;
  message: Uint8Array;
  onData: (data: Uint8Array) => void;
  onError: (error: unknown) => void;
}

const READY_FOR_QUERY = 0x5a; // 'Z'
const IDLE = 0x49; // 'I': no transaction block open

/** Frontend messages written by the session itself when it cleans up after a connection. */
const frontend = (type: string, body: Buffer) => {
  const header = Buffer.alloc(5);
  header.write(type, 0);
  header.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([header, body]);
};
const ROLLBACK = frontend('Q', Buffer.from('ROLLBACK\0'));
const SYNC = frontend('S', Buffer.alloc(0));

/**
 * Follows the backend's answer to one frontend message and tells whether it ended in ReadyForQuery
 * with the session idle: only then may another connection's messages run.
 */
class ReadyForQueryWatch {
  private header = Buffer.alloc(5);
  private headerBytes = 0;
  private bodyLeft = 0;
  private type = 0;
  /** The status byte of the last message, when that message was a ReadyForQuery. */
  status: number | null = null;

  push(chunk: Uint8Array) {
    let i = 0;
    while (i < chunk.length) {
      if (this.bodyLeft > 0) {
        const take = Math.min(this.bodyLeft, chunk.length - i);
        if (this.type === READY_FOR_QUERY) this.status = chunk[i]; // its body is the one status byte
        this.bodyLeft -= take;
        i += take;
        continue;
      }
      this.header[this.headerBytes++] = chunk[i++];
      if (this.headerBytes === 5) {
        this.headerBytes = 0;
        this.type = this.header[0];
        this.bodyLeft = this.header.readInt32BE(1) - 4;
        this.status = null;
      }
    }
  }

  get idle() {
    return this.status === IDLE && this.bodyLeft === 0 && this.headerBytes === 0;
  }
}

/**
 * One PGlite session shared by many client connections. PGlite is a single Postgres backend that
 * runs one message at a time, so the connections take turns — and a turn lasts from a connection's
 * first message until the backend answers ReadyForQuery with the session idle: a whole simple
 * query, a whole extended query (Parse ... Sync) and a whole transaction. Between two turns no
 * connection's unnamed statement, portal or transaction is left for another to run into.
 *
 * A connection that goes away during its turn is cleaned up as Postgres would on a lost client:
 * whatever it left open is rolled back (nothing it sent without a Sync or COMMIT is committed)
 * before the next connection runs.
 */
export class PGliteSession {
  private readonly queue: Pending[] = [];
  /** The connection whose turn it is; null while the session is idle. */
  private owner: number | null = null;
  private ownerGone = false;
  private running: Promise<void> | null = null;
  private closed = false;

  constructor(private readonly db: PGliteProtocol) {}

  /** Queues one whole frontend message of `connection`; its answer goes to `onData`, in order. */
  submit(connection: number, message: Uint8Array, onData: (data: Uint8Array) => void, onError: (error: unknown) => void) {
    if (this.closed) return onError(new Error('the embedded database is shutting down'));
    this.queue.push({ connection, message, onData, onError });
    this.drain();
  }

  /** The connection is gone: drop what it queued and, if it was its turn, roll back what it left open. */
  disconnect(connection: number) {
    this.dropQueued(connection);
    if (this.owner === connection) this.ownerGone = true;
    this.drain();
  }

  /** Refuses new messages, drops the queued ones and resolves once the running one is done. */
  async close() {
    this.closed = true;
    for (const item of this.queue.splice(0)) item.onError(new Error('the embedded database is shutting down'));
    await this.running;
  }

  private dropQueued(connection: number) {
    for (let i = this.queue.length - 1; i >= 0; i--) if (this.queue[i].connection === connection) this.queue.splice(i, 1);
  }

  private drain() {
    if (this.running || this.closed) return;
    this.running = this.run().finally(() => {
      this.running = null;
      // Something may have been queued between the loop's last look and now.
      if (this.nextIndex() !== -1 || this.ownerGone) this.drain();
    });
  }

  /** The queued message to run next: the owner's, or anyone's while the session is idle; -1 for none. */
  private nextIndex() {
    if (this.owner === null) return this.queue.length > 0 ? 0 : -1;
    return this.queue.findIndex((q) => q.connection === this.owner);
  }

  private async run() {
    while (!this.closed) {
      if (this.owner !== null && this.ownerGone) {
        await this.rollBackAfterLostOwner();
        continue;
      }
      const index = this.nextIndex();
      if (index === -1) return; // idle, or the owner's next message is not here yet
      const [item] = this.queue.splice(index, 1);
      this.owner = item.connection;
      const watch = new ReadyForQueryWatch();
      try {
        await this.exec(item.message, (data) => {
          watch.push(data);
          item.onData(data);
        });
      } catch (error) {
        // PGlite itself failed (not a query error, which is an answer): this connection cannot go on.
        this.dropQueued(item.connection);
        this.ownerGone = true;
        item.onError(error);
        continue;
      }
      if (watch.idle) this.releaseTurn();
    }
  }

  /**
   * ROLLBACK ends an open transaction, the implicit one of an unfinished extended query included;
   * after an error the backend ignores everything up to a Sync, so a Sync follows, and a second
   * ROLLBACK ends a transaction block that the error left failed.
   */
  private async rollBackAfterLostOwner() {
    const watch = new ReadyForQueryWatch();
    try {
      for (const message of [ROLLBACK, SYNC, ROLLBACK]) {
        await this.exec(message, (data) => watch.push(data));
        if (message === SYNC && watch.idle) break;
      }
    } catch {
      // PGlite itself failed; the next connection's message meets the same failure and reports it.
    } finally {
      this.releaseTurn();
    }
  }

  private releaseTurn() {
    this.owner = null;
    this.ownerGone = false;
  }

  private exec(message: Uint8Array, onRawData: (data: Uint8Array) => void) {
    return this.db.runExclusive(() => this.db.execProtocolRawStream(message, { onRawData }));
  }
}
