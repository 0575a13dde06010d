import * as fs from 'node:fs';
import { checkCommand, type CommandCheck } from './check-command';
import { commandPolicy, readProjectCommands, type CommandPolicy } from './command-policy';
import { editFileTool, listFilesTool, readFileTool, searchFilesTool, writeFileTool } from './file-tools';
import { runCommand, type BashResult, type RunOptions } from './run-command';
import { detectSandbox, type Sandbox } from './sandbox';
import { byteLength, type ToolResult } from './tool-result';
import { AutocoderError, ErrorCodes } from '@autocoder/contracts';

export interface WorkspaceOptions {
  root: string;
  /** Whether commands may use the network (only enforced in the sandbox). */
  network: boolean;
  /** Commands allowed beyond the defaults, besides those in `.autocoder/allowed-commands.json`. */
  extraCommands?: readonly string[];
}

export interface Workspace {
  /** Realpath of the workspace root. */
  readonly root: string;
  readonly sandbox: Sandbox;
  readonly policy: CommandPolicy;
  /** Goes up by one on every change made through write_file and edit_file (for the test gate). */
  readonly changeCount: number;
  /** Epoch milliseconds of the last such change, 0 before any. */
  readonly lastChangeAt: number;
  readFile(path: string): Promise<ToolResult>;
  writeFile(path: string, content: string): Promise<ToolResult>;
  editFile(path: string, oldString: string, newString: string): Promise<ToolResult>;
  listFiles(path?: string): Promise<ToolResult>;
  searchFiles(pattern: string, path?: string, opts?: { literal?: boolean }): Promise<ToolResult>;
  /** Checks the command, then runs it (in the sandbox where there is one). */
  bash(command: string, opts?: RunOptions): Promise<BashResult>;
  checkCommand(command: string): Promise<CommandCheck>;
}

const refused = (command: string, reason: string): BashResult => ({
  isError: true,
  content: `refused: ${reason}`,
  originalBytes: byteLength(reason),
  truncated: false,
  exitCode: null,
  timedOut: false,
  aborted: false,
  refused: true,
  command,
});

/**
 * Opens a project folder for the model's tools. Rejects (VALIDATION_FAILED) when the root is not a
 * folder or `.autocoder/allowed-commands.json` is malformed; the tools themselves never throw.
 */
export async function openWorkspace(options: WorkspaceOptions): Promise<Workspace> {
  let root: string;
  try {
    root = fs.realpathSync(options.root);
    if (!fs.statSync(root).isDirectory()) throw new Error('not a directory');
  } catch (error) {
    throw new AutocoderError(ErrorCodes.ValidationFailed, `workspace root ${options.root} is not a folder (${(error as Error).message})`);
  }
  const sandbox = detectSandbox(root, options.network);
  const policy = commandPolicy(root, {
    extraCommands: [...(options.extraCommands ?? []), ...readProjectCommands(root)],
    ownPidNamespace: sandbox.isolated,
  });
  let changeCount = 0;
  let lastChangeAt = 0;
  const changed = (): void => {
    changeCount++;
    lastChangeAt = Date.now();
  };
  return {
    root,
    sandbox,
    policy,
    get changeCount() {
      return changeCount;
    },
    get lastChangeAt() {
      return lastChangeAt;
    },
    readFile: (path) => readFileTool(root, path),
    writeFile: (path, content) => writeFileTool(root, path, content, changed),
    editFile: (path, oldString, newString) => editFileTool(root, path, oldString, newString, changed),
    listFiles: (path) => listFilesTool(root, path),
    searchFiles: (pattern, path, opts) => searchFilesTool(root, pattern, path, opts),
    checkCommand: (command) => checkCommand(command, policy),
    async bash(command, opts = {}) {
      const check = await checkCommand(command, policy);
      if (!check.allowed) return refused(command, check.reason);
      return runCommand(sandbox, root, command, opts);
    },
  };
}
