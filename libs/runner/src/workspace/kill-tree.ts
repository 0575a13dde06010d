import * as fs from 'node:fs/promises';
import pidtree from 'pidtree';

/** The environment variable every process of one command inherits, so strays can be found. */
export const RUN_MARKER = 'AUTOCODER_WORKSPACE_RUN';

const kill = (pid: number, signal: NodeJS.Signals): void => {
  try {
    process.kill(pid, signal);
  } catch {
    // Already gone.
  }
};

async function descendants(pid: number): Promise<number[]> {
  try {
    return await pidtree(pid);
  } catch {
    return []; // the root is gone already: nothing below it is reachable by parent links
  }
}

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
 * leader), every descendant found by parent links (pidtree: those that made their own group with
 * setsid), and on Linux every process still carrying the run's marker in its environment (those
 * whose parent exited, re-parented to init, the way Jenkins finds a build's strays). Repeats a few
 * times to catch a fork in flight. In the sandbox the pid namespace dies with its init besides.
 */
export async function killTree(pid: number, marker: string): Promise<void> {
  for (let round = 0; round < 5; round++) {
    const below = await descendants(pid);
    kill(-pid, 'SIGKILL');
    kill(pid, 'SIGKILL');
    for (const child of below) kill(child, 'SIGKILL');
    const strays = await marked(marker);
    for (const stray of strays) kill(stray, 'SIGKILL');
    if (below.length === 0 && strays.length === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
