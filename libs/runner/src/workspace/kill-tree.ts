import * as fs from 'node:fs/promises';
import treeKill from 'tree-kill';

/** The environment variable every process of one command inherits, so strays can be found. */
export const RUN_MARKER = 'AUTOCODER_WORKSPACE_RUN';

const kill = (pid: number, signal: NodeJS.Signals): void => {
  try {
    process.kill(pid, signal);
  } catch {
    // Already gone.
  }
};

/** tree-kill walks the descendants by parent links (ps) first, then kills them all. */
const killDescendants = (pid: number): Promise<void> =>
  new Promise((resolve) => treeKill(pid, 'SIGKILL', () => resolve()));

/** Linux: the processes whose environment carries this run's marker (those that left the tree). */
async function marked(marker: string): Promise<number[]> {
  if (process.platform !== 'linux') return [];
  const needle = Buffer.from(`${RUN_MARKER}=${marker}\0`);
  let names: string[];
  try {
    names = await fs.readdir('/proc');
  } catch {
    return [];
  }
  const found: number[] = [];
  await Promise.all(
    names
      .filter((n) => /^\d+$/.test(n) && Number(n) !== process.pid)
      .map(async (n) => {
        try {
          if ((await fs.readFile(`/proc/${n}/environ`)).includes(needle)) found.push(Number(n));
        } catch {
          // Gone, or not ours to read.
        }
      }),
  );
  return found;
}

/**
 * Kills a command's whole process tree: its process group (it is spawned detached, as a group
 * leader), every descendant found by parent links (tree-kill: those that made their own group
 * with setsid), and on Linux every process still carrying the run's marker in its environment (those
 * whose parent exited, re-parented to init, the way Jenkins finds a build's strays). Repeats a few
 * times to catch a fork in flight. In the sandbox the pid namespace dies with its init besides.
 */
export async function killTree(pid: number, marker: string, opts: { rootExited?: boolean } = {}): Promise<void> {
  for (let round = 0; round < 5; round++) {
    // Once the root is reaped its pid may be reused: its orphans are found by the marker instead.
    if (!opts.rootExited) await killDescendants(pid);
    kill(-pid, 'SIGKILL');
    const strays = await marked(marker);
    for (const stray of strays) kill(stray, 'SIGKILL');
    if (strays.length === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
