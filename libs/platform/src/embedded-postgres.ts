import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

export interface EmbeddedPostgres {
  /** A postgres:// URL any pg client in this process can use. */
  url: string;
  stop(): Promise<void>;
}

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/**
 * Real Postgres compiled to WASM (PGlite), kept under `dataDir` and served on a loopback port so
 * that pg and TypeORM talk to it exactly as to a server. One process may own the folder at a time.
 */
export async function startEmbeddedPostgres(dataDir: string): Promise<EmbeddedPostgres> {
  mkdirSync(dataDir, { recursive: true });
  const lockFile = join(dataDir, '..', 'pgdata.pid');
  try {
    const holder = Number(readFileSync(lockFile, 'utf8'));
    if (holder && holder !== process.pid && isAlive(holder)) {
      throw new Error(`the embedded database in ${dataDir} is in use by process ${holder}; stop it or use another AUTOCODER_HOME`);
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  writeFileSync(lockFile, String(process.pid));

  const db = await PGlite.create(dataDir);
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 100 });
  keepExtendedQueriesWhole((server as unknown as { queryQueue: QueryQueue }).queryQueue);
  await server.start();
  const url = `postgres://postgres@${server.getServerConn()}/postgres`;
  return {
    url,
    stop: async () => {
      await server.stop();
      await db.close();
      rmSync(lockFile, { force: true });
    },
  };
}

export interface QueuedMessage {
  handlerId: number;
  message: Uint8Array;
  onData: (data: Uint8Array) => void;
  resolve: (bytes: number) => void;
  reject: (error: unknown) => void;
}

export interface QueryQueue {
  queue: QueuedMessage[];
  processing: boolean;
  lastHandlerId: number | null;
  db: PGlite;
  processQueue(): Promise<void>;
  clearQueueForHandler(handlerId: number): void;
}

/** Extended-protocol messages (Parse, Bind, Describe, Execute, Close, Flush) up to the next Sync. */
const EXTENDED = new Set([0x50, 0x42, 0x44, 0x45, 0x43, 0x48]);

/**
 * pglite-socket queues each protocol message on its own, so with several connections one
 * connection's Bind can land on another's unnamed Parse ("bind message supplies 3 parameters, but
 * prepared statement requires 2", or worse, another query run with these parameters). Its queue
 * already keeps to one connection while a transaction is open; this keeps to it until the Sync that
 * ends an extended query as well.
 */
export function keepExtendedQueriesWhole(queue: QueryQueue) {
  let midQuery = false;
  queue.processQueue = async function processQueue(this: QueryQueue) {
    if (this.processing || this.queue.length === 0) return;
    this.processing = true;
    try {
      while (this.queue.length > 0) {
        const pinned = this.lastHandlerId !== null && (midQuery || this.db.isInTransaction());
        const index = pinned ? this.queue.findIndex((q) => q.handlerId === this.lastHandlerId) : 0;
        if (index === -1) break; // wait for the pinned connection's next message
        const [item] = this.queue.splice(index, 1);
        let bytes = 0;
        try {
          await this.db.runExclusive(() =>
            this.db.execProtocolRawStream(item.message, {
              onRawData: (data: Uint8Array) => {
                bytes += data.length;
                item.onData(data);
              },
            }),
          );
        } catch (error) {
          item.reject(error);
          continue;
        }
        midQuery = EXTENDED.has(item.message[0]);
        this.lastHandlerId = item.handlerId;
        item.resolve(bytes);
      }
    } finally {
      this.processing = false;
    }
  };
  const clear = queue.clearQueueForHandler.bind(queue);
  queue.clearQueueForHandler = (handlerId: number) => {
    clear(handlerId);
    // A connection that went away in the middle of a query must not hold the others back.
    if (queue.lastHandlerId === handlerId) midQuery = false;
    void queue.processQueue();
  };
}
