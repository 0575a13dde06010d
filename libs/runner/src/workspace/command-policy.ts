import * as fs from 'node:fs';
import * as path from 'node:path';
import { AutocoderError, ErrorCodes } from '@autocoder/contracts';

/**
 * The commands the model may run by default, after the autonomous-coding quickstart's allowlist
 * (ls cat head tail wc grep cp mkdir chmod pwd npm node git ps lsof sleep pkill ./init.sh), plus:
 * echo and printf (print only; their redirections are checked), true, false and test (exit codes
 * only), mv and rm (renaming and deleting are part of coding; their path arguments must stay in the
 * workspace, like cp's and mkdir's). Nothing that fetches (curl, wget) or edits in place (sed -i).
 */
export const DEFAULT_COMMANDS: readonly string[] = [
  'ls', 'cat', 'head', 'tail', 'wc', 'grep', 'cp', 'mkdir', 'chmod', 'pwd', 'npm', 'node', 'git', 'ps',
  'lsof', 'sleep', 'pkill', './init.sh', 'echo', 'printf', 'true', 'false', 'test', 'mv', 'rm',
];

/** Processes pkill may stop: the dev servers the agent itself starts (as the quickstart allows). */
export const DEV_PROCESSES: readonly string[] = ['node', 'npm', 'npx', 'vite', 'next'];

/** Names no project may allow: each runs text the checker never sees, or moves the shell out of the workspace. */
export const NEVER_ALLOWED: readonly string[] = [
  'eval', 'exec', 'source', '.', 'alias', 'builtin', 'command', 'enable', 'trap', 'sudo', 'su', 'doas',
  'cd', 'pushd', 'popd',
];

export const ALLOWED_COMMANDS_FILE = '.autocoder/allowed-commands.json';

export interface CommandPolicy {
  /** Realpath of the workspace root. */
  root: string;
  commands: ReadonlySet<string>;
  /**
   * Whether each command runs in its own pid namespace (the sandbox). pkill is allowed only then:
   * outside one, `pkill node` would stop the runner itself.
   */
  ownPidNamespace: boolean;
}

const invalid = (message: string): AutocoderError => new AutocoderError(ErrorCodes.ValidationFailed, message);

function validName(name: unknown, where: string): string {
  if (typeof name !== 'string' || !/^[A-Za-z0-9._+/-]+$/.test(name)) {
    throw invalid(`${where}: ${JSON.stringify(name)} is not a command name (expected letters, digits, . _ + - /)`);
  }
  if (NEVER_ALLOWED.includes(name)) throw invalid(`${where}: \`${name}\` can never be allowed (it runs commands the checker cannot see, or leaves the workspace)`);
  return name;
}

/** The project's extra commands from `.autocoder/allowed-commands.json`: `{"commands": ["python3"]}`. */
export function readProjectCommands(root: string): string[] {
  const file = path.join(root, ALLOWED_COMMANDS_FILE);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw invalid(`${ALLOWED_COMMANDS_FILE}: cannot be read: ${(error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw invalid(`${ALLOWED_COMMANDS_FILE}: is not valid JSON (${(error as Error).message}); expected {"commands": ["python3", ...]}`);
  }
  const commands = (parsed as { commands?: unknown } | null)?.commands;
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || !Array.isArray(commands)) {
    throw invalid(`${ALLOWED_COMMANDS_FILE}: expected an object {"commands": ["python3", ...]}`);
  }
  return commands.map((name, i) => validName(name, `${ALLOWED_COMMANDS_FILE} commands[${i}]`));
}

export function commandPolicy(root: string, opts: { extraCommands?: readonly string[]; ownPidNamespace: boolean }): CommandPolicy {
  const extra = (opts.extraCommands ?? []).map((name, i) => validName(name, `extraCommands[${i}]`));
  return { root, commands: new Set([...DEFAULT_COMMANDS, ...extra]), ownPidNamespace: opts.ownPidNamespace };
}
