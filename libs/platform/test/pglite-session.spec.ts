import { PGliteSession, type PGliteProtocol } from '../src/pglite-session';
import { FrontendFrames } from '../src/pglite-wire-server';
import { wire } from './wire';

const readyForQuery = (status: 'I' | 'T') => Buffer.from([0x5a, 0, 0, 0, 5, status.charCodeAt(0)]);
const parseComplete = Buffer.from([0x31, 0, 0, 0, 4]);

/**
 * A fake PGlite whose every message yields to the event loop, as a write to disk does (that is when
 * two connections' messages used to interleave). Sync and simple queries end in ReadyForQuery,
 * "idle" unless the query is BEGIN and until a COMMIT.
 */
function fakePGlite(processed: string[]): PGliteProtocol {
  let inBlock = false;
  return {
    runExclusive: (fn) => fn(),
    execProtocolRawStream: async (message, { onRawData }) => {
      await new Promise((r) => setImmediate(r));
      const type = String.fromCharCode(message[0]);
      const sql = type === 'Q' ? Buffer.from(message.subarray(5, message.length - 1)).toString() : '';
      processed.push(sql || type);
      if (sql === 'BEGIN') inBlock = true;
      if (sql === 'COMMIT' || sql === 'ROLLBACK') inBlock = false;
      onRawData(type === 'Q' || type === 'S' ? readyForQuery(inBlock ? 'T' : 'I') : parseComplete);
    },
  };
}

describe('PGliteSession: connections take whole turns on the one PGlite session', () => {
  const send = (session: PGliteSession, log: string[], connection: number, message: Buffer, label: string) =>
    new Promise<void>((resolve, reject) => {
      session.submit(
        connection,
        message,
        () => {
          log.push(`${connection}${label}`);
          resolve();
        },
        reject,
      );
    });

  it("runs one connection's extended query (Parse ... Sync) whole before another connection's messages", async () => {
    const session = new PGliteSession(fakePGlite([]));
    const log: string[] = [];
    const extended = { P: wire.parse('SELECT 1'), B: wire.bind(), D: wire.describe(), E: wire.execute(), S: wire.sync() };
    // Connection 1 sends its messages one after another, each once the last was answered; connection
    // 2 has its whole query queued in between.
    const one = (async () => {
      for (const type of ['P', 'B', 'D', 'E', 'S'] as const) await send(session, log, 1, extended[type], type);
    })();
    await new Promise((r) => setImmediate(r));
    const two = Promise.all((['P', 'B', 'E', 'S'] as const).map((type) => send(session, log, 2, extended[type], type)));
    await Promise.all([one, two]);
    expect(log).toEqual(['1P', '1B', '1D', '1E', '1S', '2P', '2B', '2E', '2S']);
  });

  it("runs one connection's transaction whole, from BEGIN to COMMIT, before another connection's query", async () => {
    const processed: string[] = [];
    const session = new PGliteSession(fakePGlite(processed));
    const log: string[] = [];
    await send(session, log, 1, wire.query('BEGIN'), 'BEGIN');
    const other = send(session, log, 2, wire.query('SELECT 2'), 'SELECT');
    await new Promise((r) => setTimeout(r, 20));
    await send(session, log, 1, wire.query('COMMIT'), 'COMMIT');
    await other;
    expect(log).toEqual(['1BEGIN', '1COMMIT', '2SELECT']);
  });

  it('rolls back what a connection that went away during its turn left open, before the next one runs', async () => {
    const processed: string[] = [];
    const session = new PGliteSession(fakePGlite(processed));
    const log: string[] = [];
    await send(session, log, 1, wire.query('BEGIN'), 'BEGIN');
    const other = send(session, log, 2, wire.query('SELECT 2'), 'SELECT');
    session.disconnect(1);
    await other;
    expect(processed).toEqual(['BEGIN', 'ROLLBACK', 'S', 'SELECT 2']);
  });

  it('refuses messages once closed', async () => {
    const session = new PGliteSession(fakePGlite([]));
    await session.close();
    await expect(send(session, [], 1, wire.query('SELECT 1'), 'SELECT')).rejects.toThrow('shutting down');
  });
});

describe('FrontendFrames: whole frontend messages out of a byte stream', () => {
  it('answers SSL requests, keeps the startup packet and cuts messages split across chunks', () => {
    const frames = new FrontendFrames();
    const ssl = Buffer.alloc(8);
    ssl.writeInt32BE(8, 0);
    ssl.writeInt32BE(80877103, 4);
    const stream = Buffer.concat([ssl, wire.startup(), wire.query('SELECT 1'), wire.sync()]);
    const got = [];
    // One byte at a time: the hardest split there is.
    for (let i = 0; i < stream.length; i++) got.push(...frames.push(stream.subarray(i, i + 1)));
    expect(got.map((f) => (f.kind === 'message' ? Buffer.from(f.bytes) : f.kind))).toEqual([
      'decline-encryption',
      wire.startup(),
      wire.query('SELECT 1'),
      wire.sync(),
    ]);
  });

  it('ends the connection on Terminate, a cancel request or a bad length', () => {
    const terminate = Buffer.from([0x58, 0, 0, 0, 4]);
    expect(new FrontendFrames().push(Buffer.concat([wire.startup(), terminate, wire.sync()])).map((f) => f.kind)).toEqual(['message', 'end']);
    const cancel = Buffer.alloc(16);
    cancel.writeInt32BE(16, 0);
    cancel.writeInt32BE(80877102, 4);
    expect(new FrontendFrames().push(cancel).map((f) => f.kind)).toEqual(['end']);
    const badLength = Buffer.from([0x51, 0, 0, 0, 2]);
    expect(new FrontendFrames().push(Buffer.concat([wire.startup(), badLength])).map((f) => f.kind)).toEqual(['message', 'end']);
  });
});
