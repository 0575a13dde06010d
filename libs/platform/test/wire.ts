import { connect, type Socket } from 'node:net';

/** Frontend messages of the Postgres protocol, written by hand so a test can stop between any two. */
const cstr = (s: string) => Buffer.from(`${s}\0`);
const message = (type: string, body: Buffer) => {
  const header = Buffer.alloc(5);
  header.write(type, 0);
  header.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([header, body]);
};

export const wire = {
  startup(user = 'postgres', database = 'postgres') {
    const body = Buffer.concat([Buffer.from([0, 3, 0, 0]), cstr('user'), cstr(user), cstr('database'), cstr(database), Buffer.from([0])]);
    const length = Buffer.alloc(4);
    length.writeInt32BE(body.length + 4);
    return Buffer.concat([length, body]);
  },
  parse: (sql: string) => message('P', Buffer.concat([cstr(''), cstr(sql), Buffer.from([0, 0])])),
  bind: () => message('B', Buffer.concat([cstr(''), cstr(''), Buffer.from([0, 0, 0, 0, 0, 0])])),
  describe: () => message('D', Buffer.from('P\0')),
  execute: () => message('E', Buffer.concat([cstr(''), Buffer.from([0, 0, 0, 0])])),
  sync: () => message('S', Buffer.alloc(0)),
  query: (sql: string) => message('Q', cstr(sql)),
};

/** Where a postgres:// URL points: a Unix socket (host is a directory) or a TCP host and port. */
export function addressOf(url: string): { path: string } | { host: string; port: number } {
  const { hostname, port } = new URL(url);
  const host = decodeURIComponent(hostname);
  const p = Number(port) || 5432;
  return host.startsWith('/') ? { path: `${host}/.s.PGSQL.${p}` } : { host, port: p };
}

/** A raw connection that collects the backend's answers. */
export async function rawConnection(url: string) {
  const address = addressOf(url);
  const socket: Socket = 'path' in address ? connect(address.path) : connect(address.port, address.host);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  let received = Buffer.alloc(0);
  socket.on('data', (chunk) => (received = Buffer.concat([received, chunk])));
  return {
    socket,
    send: (...messages: Buffer[]) => socket.write(Buffer.concat(messages)),
    /** Waits until the answers hold `count` backend messages of `type` in all ('Z' ReadyForQuery, 'C' CommandComplete). */
    async received(type: string, count: number) {
      for (let waited = 0; waited < 5000; waited += 10) {
        if (countOf(received, type) >= count) return;
        await new Promise((r) => setTimeout(r, 10));
      }
      throw new Error(`no ${count} '${type}' messages within 5 s`);
    },
  };
}

function countOf(bytes: Buffer, type: string) {
  let count = 0;
  for (let i = 0; i + 5 <= bytes.length; i += 1 + bytes.readInt32BE(i + 1)) if (bytes[i] === type.charCodeAt(0)) count++;
  return count;
}
