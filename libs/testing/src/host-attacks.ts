import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';

/** The TCP ports a process listens on (Linux: its socket inodes looked up in /proc/net/tcp and tcp6). */
export function listeningTcpPorts(pid: number | 'self' = 'self'): number[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (match) inodes.add(match[1]);
    } catch {
      // The descriptor closed while we looked.
    }
  }
  const ports = new Set<number>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 10 || cols[3] !== '0A' || !inodes.has(cols[9])) continue; // 0A: LISTEN
      ports.add(parseInt(cols[1].split(':')[1], 16));
    }
  }
  return [...ports].sort((a, b) => a - b);
}

export const isRoot = () => process.getuid?.() === 0;

/**
 * Runs a small script as user `nobody` (needs root to switch) that tries what another user on the
 * host would: open the database's socket or port and ask for a session, and read a data file.
 * Answers what each attempt got: an error code, or what the server answered.
 */
export async function attackAsAnotherUser(
  target: { path: string } | { host: string; port: number },
  dataFile: string,
): Promise<{ connect: string; read: string }> {
  const script = `
    const net = require('node:net'), fs = require('node:fs');
    const [target, file] = JSON.parse(process.argv[1]);
    const result = {};
    try { fs.readFileSync(file); result.read = 'read the file'; } catch (e) { result.read = e.code; }
    const body = Buffer.concat([Buffer.from([0, 3, 0, 0]), Buffer.from('user\\0postgres\\0database\\0postgres\\0\\0')]);
    const startup = Buffer.concat([Buffer.alloc(4), body]); startup.writeInt32BE(startup.length);
    const socket = target.path ? net.connect(target.path) : net.connect(target.port, target.host);
    const done = (what) => { result.connect = what; console.log(JSON.stringify(result)); process.exit(0); };
    socket.on('connect', () => socket.write(startup));
    socket.on('data', (d) => done(d[0] === 0x52 && d.readInt32BE(5) === 0 ? 'session granted' : 'answered ' + String.fromCharCode(d[0])));
    socket.on('error', (e) => done(e.code));
    socket.on('close', () => done('closed'));
    setTimeout(() => done('no answer'), 5000);
  `;
  // Asynchronously: the database under attack may be served by this very process.
  const { stdout } = await promisify(execFile)(
    'setpriv',
    ['--reuid=65534', '--regid=65534', '--clear-groups', '--', process.execPath, '-e', script, JSON.stringify([target, dataFile])],
    { encoding: 'utf8', timeout: 15_000 },
  );
  return JSON.parse(stdout.trim().split('\n').pop()!);
}
