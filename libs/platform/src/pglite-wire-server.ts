import { chmodSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import type { PGliteSession } from './pglite-session';

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;
const TERMINATE = 0x58; // 'X'
/** Postgres itself refuses longer startup packets. */
const MAX_STARTUP_BYTES = 10_000;

type Frame = { kind: 'message'; bytes: Uint8Array } | { kind: 'decline-encryption' } | { kind: 'end' };

/** Cuts a connection's byte stream into whole frontend messages (the startup packet has no type byte). */
export class FrontendFrames {
  private buffer: Buffer = Buffer.alloc(0);
  private started = false;

  push(chunk: Buffer): Frame[] {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const frames: Frame[] = [];
    for (;;) {
      if (!this.started) {
        if (this.buffer.length < 8) break;
        const length = this.buffer.readInt32BE(0);
        const code = this.buffer.readInt32BE(4);
        if (length < 8 || length > MAX_STARTUP_BYTES) return [...frames, { kind: 'end' }];
        if (this.buffer.length < length) break;
        const bytes = this.take(length);
        if (code === SSL_REQUEST || code === GSSENC_REQUEST) frames.push({ kind: 'decline-encryption' });
        // PGlite cannot cancel a query; Postgres answers a cancel request by closing, and so do we.
        else if (code === CANCEL_REQUEST || code >> 16 !== 3) return [...frames, { kind: 'end' }];
        else {
          this.started = true;
          frames.push({ kind: 'message', bytes });
        }
      } else {
        if (this.buffer.length < 5) break;
        const length = this.buffer.readInt32BE(1);
        if (length < 4) return [...frames, { kind: 'end' }];
        if (this.buffer.length < 1 + length) break;
        const bytes = this.take(1 + length);
        if (bytes[0] === TERMINATE) return [...frames, { kind: 'end' }];
        frames.push({ kind: 'message', bytes });
      }
    }
    return frames;
  }

  private take(n: number) {
    const bytes = this.buffer.subarray(0, n);
    this.buffer = this.buffer.subarray(n);
    return bytes;
  }
}

/**
 * Serves a PGlite session to Postgres clients (pg, TypeORM, psql) on a Unix domain socket. Only the
 * framing is done here; every message goes whole to the session, which gives the connections their
 * turns. A Unix socket, not a TCP port: who may connect is decided by the file system (see
 * embedded-postgres.ts), since PGlite takes any user name and password.
 */
export class PGliteWireServer {
  private readonly sockets = new Set<Socket>();
  private nextConnection = 1;

  private constructor(
    private readonly server: Server,
    private readonly session: PGliteSession,
  ) {}

  static async listen(session: PGliteSession, path: string): Promise<PGliteWireServer> {
    const server = createServer();
    const wire = new PGliteWireServer(server, session);
    server.on('connection', (socket) => wire.accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => {
        server.off('error', reject);
        resolve();
      });
    });
    // The folder already keeps others out; the socket itself is the owner's too.
    chmodSync(path, 0o600);
    return wire;
  }

  /** Stops listening and closes every connection (their open transactions are not committed). */
  async close() {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }

  private accept(socket: Socket) {
    const connection = this.nextConnection++;
    const frames = new FrontendFrames();
    this.sockets.add(socket);
    let gone = false;
    const end = () => {
      if (gone) return;
      gone = true;
      this.sockets.delete(socket);
      this.session.disconnect(connection);
      socket.destroy();
    };
    const answer = (data: Uint8Array) => {
      // The data may be a view into PGlite's memory: copy it before the write is queued.
      if (!gone) socket.write(Buffer.from(data));
    };
    socket.on('data', (chunk: Buffer) => {
      for (const frame of frames.push(chunk)) {
        if (frame.kind === 'end') return end();
        // A local socket needs no TLS: 'N' tells the client to go on without it.
        if (frame.kind === 'decline-encryption') socket.write('N');
        else this.session.submit(connection, frame.bytes, answer, end);
      }
    });
    socket.on('error', end);
    socket.on('close', end);
  }
}
