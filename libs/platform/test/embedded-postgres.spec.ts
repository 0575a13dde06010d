import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { keepExtendedQueriesWhole, startEmbeddedPostgres, type EmbeddedPostgres, type QueryQueue } from '../src';

describe('embedded Postgres (PGlite over a local socket)', () => {
  let dir: string;
  let pg: EmbeddedPostgres;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'autocoder-pglite-'));
    pg = await startEmbeddedPostgres(join(dir, 'pgdata'));
  });
  afterAll(async () => {
    await pg?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("runs one connection's extended query (Parse ... Sync) whole before another connection's messages", async () => {
    // A fake PGlite whose every message yields to the event loop, as a write to disk does: that is
    // when two connections' Parse/Bind messages used to interleave.
    const processed: string[] = [];
    const fakeDb = {
      isInTransaction: () => false,
      runExclusive: (fn: () => Promise<unknown>) => fn(),
      execProtocolRawStream: async (message: Uint8Array) => {
        await new Promise((r) => setImmediate(r));
        processed.push(String.fromCharCode(message[0]));
      },
    };
    const queue: QueryQueue = {
      queue: [],
      processing: false,
      lastHandlerId: null,
      db: fakeDb as never,
      processQueue: async () => undefined,
      clearQueueForHandler: () => undefined,
    };
    keepExtendedQueriesWhole(queue);
    const log: string[] = [];
    const send = (handlerId: number, type: string) =>
      new Promise<number>((resolve, reject) => {
        queue.queue.push({ handlerId, message: new Uint8Array([type.charCodeAt(0)]), onData: () => undefined, resolve: (n) => (log.push(`${handlerId}${type}`), resolve(n)), reject });
        void queue.processQueue();
      });
    // Connection 1 sends its messages one after another, as pglite-socket feeds them; connection 2
    // has its whole query queued in between.
    const one = (async () => {
      for (const type of ['P', 'B', 'D', 'E', 'S']) await send(1, type);
    })();
    await new Promise((r) => setImmediate(r));
    const two = Promise.all(['P', 'B', 'E', 'S'].map((type) => send(2, type)));
    await Promise.all([one, two]);
    expect(log).toEqual(['1P', '1B', '1D', '1E', '1S', '2P', '2B', '2E', '2S']);
  });

  it('lets the others go on when a connection dies in the middle of a transaction', async () => {
    const a = new Client({ connectionString: pg.url });
    const b = new Client({ connectionString: pg.url });
    await Promise.all([a.connect(), b.connect()]);
    await a.query('BEGIN');
    await a.query('SELECT 1');
    const waiting = b.query('SELECT $1::int AS r', [7]);
    (a as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
    a.on('error', () => undefined);
    expect((await waiting).rows[0].r).toBe(7);
    await b.end();
  });
});
