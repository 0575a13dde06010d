import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGliteSession } from './pglite-session';
import { PGliteWireServer } from './pglite-wire-server';

export interface EmbeddedPostgres {
  /** A postgres:// URL any pg client of this user can use (host: the socket's folder). */
  url: string;
  stop(): Promise<void>;
}

/** pg looks for a server's socket as `<host>/.s.PGSQL.<port>`; the port is the default one. */
const SOCKET_NAME = '.s.PGSQL.5432';
/** A socket path holds at most 107 bytes on Linux and 103 on macOS. */
const MAX_SOCKET_PATH_BYTES = 100;

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/**
 * A folder only the user running Autocoder may enter: made 0700 (also when an older version made it
 * with the usual 0755) and refused when it belongs to someone else.
 */
export function ensurePrivateDirectory(path: string) {
  mkdirSync(path, { recursive: true, mode: 0o700 });
  const uid = process.getuid?.();
  const owner = statSync(path).uid;
  if (uid !== undefined && owner !== uid) {
    throw new Error(`${path} belongs to user ${owner}, not to the user running Autocoder (${uid}); remove it or use another AUTOCODER_HOME`);
  }
  chmodSync(path, 0o700);
}

/** `<home>/pgsocket`, or a fresh private folder under the temp folder when that path is too long for a socket. */
function socketDirectory(home: string): { dir: string; temporary: boolean } {
  const dir = join(home, 'pgsocket');
  if (Buffer.byteLength(join(dir, SOCKET_NAME)) <= MAX_SOCKET_PATH_BYTES) {
    ensurePrivateDirectory(dir);
    return { dir, temporary: false };
  }
  const temporary = mkdtempSync(join(tmpdir(), 'autocoder-pg-')); // made 0700 by mkdtemp
  if (Buffer.byteLength(join(temporary, SOCKET_NAME)) > MAX_SOCKET_PATH_BYTES) {
    rmSync(temporary, { recursive: true, force: true });
    throw new Error(`no socket path short enough for the embedded database: ${dir} and ${temporary} are too long; use a shorter AUTOCODER_HOME`);
  }
  return { dir: temporary, temporary: true };
}

/**
 * Real Postgres compiled to WASM (PGlite), kept under `dataDir` and served on a Unix domain socket so
 * that pg and TypeORM talk to it exactly as to a server. PGlite accepts any user and password, so the
 * socket and the data live in folders only this user may enter (0700); there is no TCP port. One
 * process may own the folder at a time.
 */
export async function startEmbeddedPostgres(dataDir: string): Promise<EmbeddedPostgres> {
  const home = dirname(dataDir);
  mkdirSync(home, { recursive: true });
  const lockFile = join(home, 'pgdata.pid');
  try {
    const holder = Number(readFileSync(lockFile, 'utf8'));
    if (holder && holder !== process.pid && isAlive(holder)) {
      throw new Error(`the embedded database in ${dataDir} is in use by process ${holder}; stop it or use another AUTOCODER_HOME`);
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  writeFileSync(lockFile, String(process.pid));

  const cleanups: (() => Promise<void> | void)[] = [() => rmSync(lockFile, { force: true })];
  const stop = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  };
  try {
    ensurePrivateDirectory(dataDir);
    const socket = socketDirectory(home);
    if (socket.temporary) cleanups.push(() => rmSync(socket.dir, { recursive: true, force: true }));
    const socketPath = join(socket.dir, SOCKET_NAME);
    // Left behind by an owner killed with SIGKILL; the lock says that owner is gone.
    rmSync(socketPath, { force: true });

    const db = await PGlite.create(dataDir);
    cleanups.push(() => db.close());
    const session = new PGliteSession(db);
    cleanups.push(() => session.close());
    const server = await PGliteWireServer.listen(session, socketPath);
    cleanups.push(() => server.close());
    return { url: `postgres://postgres@${encodeURIComponent(socket.dir)}/postgres`, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
