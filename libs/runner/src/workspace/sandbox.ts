import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface Sandbox {
  /** True when commands run inside bubblewrap. */
  readonly isolated: boolean;
  readonly network: boolean;
  /** One line for the runner's log at start. */
  describe(): string;
  /** The program and arguments that run `bash -c <command>` in the workspace. */
  wrap(command: string): { file: string; args: string[] };
}

function onPath(program: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, program);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // Not here.
    }
  }
  return undefined;
}

function bwrapArgs(root: string, network: boolean): string[] {
  const args = [
    '--ro-bind', '/', '/',
    '--dev', '/dev',
    '--proc', '/proc', // a procfs of the new pid namespace: the runner's own processes are not visible
    '--tmpfs', '/tmp',
    '--bind', root, root, // after --tmpfs /tmp, so a workspace under /tmp is bound over the fresh one
  ];
  // The project's allowed-commands list stays read-only even to node/npm inside the sandbox.
  const config = path.join(root, '.autocoder');
  if (fs.existsSync(config)) args.push('--ro-bind', config, config);
  args.push('--unshare-pid', '--die-with-parent', '--new-session');
  // The home folder is read-only here: npm keeps its cache and logs in the sandbox's own /tmp.
  args.push('--setenv', 'npm_config_cache', '/tmp/.npm');
  if (!network) args.push('--unshare-net');
  args.push('--chdir', root);
  return args;
}

/** No sandbox: commands run directly in the workspace (the network cannot be cut). */
export function directSandbox(reason: string): Sandbox {
  return {
    isolated: false,
    network: true,
    describe: () => reason,
    wrap: (command) => ({ file: 'bash', args: ['-c', command] }),
  };
}

/**
 * bubblewrap when it is on PATH and works here (user namespaces may be blocked): read-only root,
 * the workspace the only writable path, fresh /tmp, /dev and /proc, its own pid namespace (every
 * process dies with it), network cut unless the project allows it. Without it commands run directly.
 */
export function detectSandbox(root: string, network: boolean): Sandbox {
  const bwrap = onPath('bwrap');
  let problem = bwrap ? '' : 'bubblewrap not found: commands run unsandboxed';
  if (bwrap) {
    const probe = spawnSync(bwrap, [...bwrapArgs(root, network), '--', 'true'], { encoding: 'utf8', timeout: 10_000 });
    if (probe.status !== 0) {
      problem = `bubblewrap found but not usable here (${(probe.stderr || probe.error?.message || `exit ${probe.status}`).trim()}): commands run unsandboxed`;
    }
  }
  if (problem || !bwrap) return directSandbox(problem);
  return {
    isolated: true,
    network,
    describe: () =>
      `bubblewrap: commands run sandboxed (read-only root, writable workspace ${root}, own pid namespace, network ${network ? 'on' : 'off'})`,
    wrap: (command) => ({ file: bwrap, args: [...bwrapArgs(root, network), '--', 'bash', '-c', command] }),
  };
}
