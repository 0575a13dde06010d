import { spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Client } from 'pg';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../src';
import { attackAsAnotherUser, isRoot, listeningTcpPorts } from '@autocoder/testing';
import { addressOf, rawConnection, wire } from './wire';

describe('embedded Postgres (PGlite on a private Unix socket)', () => {
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

  it('commits nothing of a connection that dies in the middle of an extended query, and the others go on', async () => {
    const other = new Client({ connectionString: pg.url });
    await other.connect();
    await other.query('CREATE TABLE half_done (x int)');
    const raw = await rawConnection(pg.url);
    raw.send(wire.startup());
    await raw.received('Z', 1);
    // Parse, Bind, Execute of an insert, and the connection dies before its Sync: the insert was
    // never confirmed to anyone, so (as in Postgres) it must not be committed with someone else's work.
    raw.send(wire.parse('INSERT INTO half_done VALUES (1)'), wire.bind(), wire.execute());
    await raw.received('C', 1);
    raw.socket.destroy();
    expect((await other.query('SELECT count(*)::int AS n FROM half_done')).rows).toEqual([{ n: 0 }]);
    await other.query('INSERT INTO half_done VALUES ($1)', [2]);
    expect((await other.query('SELECT x FROM half_done')).rows).toEqual([{ x: 2 }]);
    await other.end();
  });

  it('leaves no failed transaction behind a connection that dies in one', async () => {
    const other = new Client({ connectionString: pg.url });
    await other.connect();
    await other.query('CREATE TABLE failed_block (x int)');
    const raw = await rawConnection(pg.url);
    raw.send(wire.startup());
    await raw.received('Z', 1);
    raw.send(wire.query('BEGIN; INSERT INTO failed_block VALUES (1)'));
    await raw.received('Z', 2);
    // An error inside the block: Postgres now ignores everything up to a Sync, then refuses all but ROLLBACK.
    raw.send(wire.parse('SELECT no_such_column FROM failed_block'), wire.bind());
    await raw.received('E', 1);
    raw.socket.destroy();
    await other.query('INSERT INTO failed_block VALUES ($1)', [2]);
    expect((await other.query('SELECT x FROM failed_block')).rows).toEqual([{ x: 2 }]);
    await other.end();
  });
});

describe('embedded Postgres: other users on the same host', () => {
  let home: string;
  let pg: EmbeddedPostgres;
  let portsBefore: number[];

  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), 'autocoder-pglite-'));
    // As `./.autocoder` is made with the usual umask: the folder itself does not keep anyone out.
    chmodSync(home, 0o755);
    portsBefore = listeningTcpPorts();
    pg = await startEmbeddedPostgres(join(home, 'pgdata'));
  });
  afterAll(async () => {
    await pg?.stop();
    rmSync(home, { recursive: true, force: true });
  });

  it('listens on no TCP port', () => {
    expect(listeningTcpPorts()).toEqual(portsBefore);
  });

  it('keeps its socket and its data in folders only the user who runs it may enter (0700)', () => {
    const address = addressOf(pg.url);
    expect(address).toEqual({ path: expect.stringMatching(/\/\.s\.PGSQL\.5432$/) });
    for (const dir of [dirname((address as { path: string }).path), join(home, 'pgdata')]) {
      const stat = statSync(dir);
      expect({ dir, mode: (stat.mode & 0o777).toString(8), uid: stat.uid }).toEqual({ dir, mode: '700', uid: process.getuid!() });
    }
  });

  (isRoot() ? it : it.skip)('gives another user of the host neither a session nor a data file (runs as root, attacks as nobody)', async () => {
    const attempt = await attackAsAnotherUser(addressOf(pg.url), join(home, 'pgdata', 'PG_VERSION'));
    expect(attempt).toEqual({ connect: 'EACCES', read: 'EACCES' });
  });

  it('still serves the user who runs it', async () => {
    const client = new Client({ connectionString: pg.url });
    await client.connect();
    expect((await client.query('SELECT current_user AS who')).rows).toEqual([{ who: 'postgres' }]);
    await client.end();
  });
});

describe('embedded Postgres: where its socket goes', () => {
  it('uses a private folder under the temp folder when AUTOCODER_HOME is too deep for a socket path, and removes it on stop', async () => {
    const home = join(mkdtempSync(join(tmpdir(), 'autocoder-pglite-')), 'a-rather-long-folder-name'.repeat(4));
    const pg = await startEmbeddedPostgres(join(home, 'pgdata'));
    try {
      const socketDir = dirname((addressOf(pg.url) as { path: string }).path);
      expect(socketDir.startsWith(join(tmpdir(), 'autocoder-pg-'))).toBe(true);
      expect((statSync(socketDir).mode & 0o777).toString(8)).toBe('700');
      const client = new Client({ connectionString: pg.url });
      await client.connect();
      expect((await client.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
      await client.end();
      await pg.stop();
      expect(existsSync(socketDir)).toBe(false);
    } finally {
      await pg.stop();
      rmSync(dirname(home), { recursive: true, force: true });
    }
  });

  (isRoot() ? it : it.skip)("refuses a socket folder someone else made in AUTOCODER_HOME (runs as root, the folder is nobody's)", async () => {
    const home = mkdtempSync(join(tmpdir(), 'autocoder-pglite-'));
    try {
      mkdirSync(join(home, 'pgsocket'), { mode: 0o777 });
      chownSync(join(home, 'pgsocket'), 65534, 65534);
      await expect(startEmbeddedPostgres(join(home, 'pgdata'))).rejects.toThrow(
        `${join(home, 'pgsocket')} belongs to user 65534, not to the user running Autocoder (0)`,
      );
      // Nothing is left holding the folder: once the stray folder is gone, the database starts.
      rmSync(join(home, 'pgsocket'), { recursive: true });
      const pg = await startEmbeddedPostgres(join(home, 'pgdata'));
      await pg.stop();
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});

describe('embedded Postgres: its owner killed with SIGKILL', () => {
  it('refuses a second owner while the first lives, and comes back with the data once it is dead', async () => {
    const home = mkdtempSync(join(tmpdir(), 'autocoder-pglite-'));
    const dataDir = join(home, 'pgdata');
    const fixture = join(__dirname, 'fixtures', 'hold-embedded-postgres.ts');
    const holder = spawn(process.execPath, ['-r', '@swc-node/register', fixture, dataDir, 'written before the kill'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise((resolve) => holder.once('exit', resolve));
    try {
      await new Promise<void>((resolve, reject) => {
        holder.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve());
        holder.once('exit', (code) => reject(new Error(`the holder exited with ${code} before it was ready`)));
      });
      await expect(startEmbeddedPostgres(dataDir)).rejects.toThrow(`in use by process ${holder.pid}`);
      holder.kill('SIGKILL');
      await exited;

      const again = await startEmbeddedPostgres(dataDir);
      const client = new Client({ connectionString: again.url });
      await client.connect();
      expect((await client.query('SELECT note FROM kept')).rows).toEqual([{ note: 'written before the kill' }]);
      await client.end();
      await again.stop();
    } finally {
      holder.kill('SIGKILL');
      rmSync(home, { recursive: true, force: true });
    }
  }, 60_000);
});
