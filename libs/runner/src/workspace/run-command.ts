import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { constants } from 'node:os';
import { killTree, RUN_MARKER } from './kill-tree';
import type { Sandbox } from './sandbox';
import { capTail, OUTPUT_CAP_CHARS, type ToolResult } from './tool-result';

export const DEFAULT_TIMEOUT_SEC = 120;
export const MAX_TIMEOUT_SEC = 600;
/** Bytes of each stream kept while a command runs (its tail); the rest is only counted. */
const KEEP_BYTES = 256 * 1024;

export interface BashResult extends ToolResult {
  exitCode: number | null;
  timedOut: boolean;
  aborted: boolean;
  refused: boolean;
  command: string;
}

export interface RunOptions {
  timeoutSec?: number;
  signal?: AbortSignal;
}

/** Keeps the last KEEP_BYTES of a stream and counts all of it. */
class Tail {
  private chunks: Buffer[] = [];
  private kept = 0;
  total = 0;

  push(chunk: Buffer): void {
    this.total += chunk.length;
    this.chunks.push(chunk);
    this.kept += chunk.length;
    while (this.kept - this.chunks[0].length >= KEEP_BYTES) this.kept -= (this.chunks.shift() as Buffer).length;
  }

  text(): string {
    const all = Buffer.concat(this.chunks);
    return all.subarray(Math.max(0, all.length - KEEP_BYTES)).toString('utf8');
  }
}

/** Secrets of the runner are not handed to the model's commands; nor are exported shell functions. */
const hidden = (name: string): boolean => /KEY|TOKEN|SECRET|PASSWORD|CREDENTIAL/i.test(name) || name.startsWith('BASH_FUNC_');

export function clampTimeout(timeoutSec: number | undefined): number {
  if (typeof timeoutSec !== 'number' || !Number.isFinite(timeoutSec) || timeoutSec <= 0) return DEFAULT_TIMEOUT_SEC;
  return Math.min(timeoutSec, MAX_TIMEOUT_SEC);
}

/**
 * Runs an (already checked) command through the sandbox with a timeout and an output cap. On timeout,
 * on abort and when the command itself ends, its whole process tree is killed: nothing it started
 * outlives it (a dev server must run inside the command that uses it).
 */
export function runCommand(sandbox: Sandbox, root: string, command: string, opts: RunOptions = {}): Promise<BashResult> {
  const timeoutSec = clampTimeout(opts.timeoutSec);
  const marker = randomUUID();
  const env: NodeJS.ProcessEnv = { [RUN_MARKER]: marker };
  for (const [name, value] of Object.entries(process.env)) if (!hidden(name) && name !== RUN_MARKER) env[name] = value;
  const { file, args } = sandbox.wrap(command);

  return new Promise((resolve) => {
    const stdout = new Tail();
    const stderr = new Tail();
    let timedOut = false;
    let aborted = opts.signal?.aborted ?? false;
    let killing: Promise<void> | undefined;
    let exited = false;
    const child = spawn(file, args, { cwd: root, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const stop = (): Promise<void> => (killing ??= child.pid ? killTree(child.pid, marker, { rootExited: exited }) : Promise.resolve());
    const timer = setTimeout(() => {
      timedOut = true;
      void stop();
    }, timeoutSec * 1000);
    const onAbort = (): void => {
      aborted = true;
      void stop();
    };
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    if (aborted) onAbort();
    child.stdout.on('data', (c: Buffer) => stdout.push(c));
    child.stderr.on('data', (c: Buffer) => stderr.push(c));
    // When the command's own process ends, what it left running (background jobs) is killed, which
    // also closes the pipes those held open.
    child.on('exit', () => {
      exited = true;
      void stop();
    });
    let spawnError: Error | undefined;
    child.on('error', (error) => {
      spawnError = error;
    });
    child.on('close', async (code, signal) => {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      await stop();
      const out = stdout.text();
      const err = (spawnError ? `${spawnError.message}\n` : '') + stderr.text();
      // The cap is shared: a short stream leaves its unused share to the other.
      const outShare = Math.max(OUTPUT_CAP_CHARS - Math.min(err.length, OUTPUT_CAP_CHARS / 2), OUTPUT_CAP_CHARS / 2);
      const o = capTail(out, outShare);
      const e = capTail(err, OUTPUT_CAP_CHARS - Math.min(o.text.length, outShare));
      const truncated = o.truncated || e.truncated || stdout.total > KEEP_BYTES || stderr.total > KEEP_BYTES;
      const exitCode = timedOut || aborted ? null : (code ?? (signal ? 128 + (constants.signals[signal] ?? 0) : null));
      const body = {
        exit_code: exitCode,
        timed_out: timedOut,
        ...(aborted ? { aborted: true } : {}),
        ...(signal && !timedOut && !aborted ? { signal } : {}),
        stdout: o.text,
        stderr: e.text,
        stdout_bytes: stdout.total,
        stderr_bytes: stderr.total,
        ...(timedOut ? { note: `timed out after ${timeoutSec} s; the command and everything it started were killed` } : {}),
        ...(truncated ? { truncated: true } : {}),
      };
      resolve({
        isError: exitCode !== 0,
        content: JSON.stringify(body, null, 1),
        originalBytes: stdout.total + stderr.total,
        truncated,
        exitCode,
        timedOut,
        aborted,
        refused: false,
        command,
      });
    });
  });
}
