export * from './tool-result';
export { resolveInside, PROTECTED_DIRS, type Resolved } from './path-guard';
export { checkCommand, type CommandCheck } from './check-command';
export {
  ALLOWED_COMMANDS_FILE,
  DEFAULT_COMMANDS,
  DEV_PROCESSES,
  NEVER_ALLOWED,
  commandPolicy,
  readProjectCommands,
  type CommandPolicy,
} from './command-policy';
export { detectSandbox, directSandbox, type Sandbox } from './sandbox';
export { DEFAULT_TIMEOUT_SEC, MAX_TIMEOUT_SEC, runCommand, type BashResult, type RunOptions } from './run-command';
export { killTree } from './kill-tree';
export type { SearchMatch } from './file-tools';
export { openWorkspace, type Workspace, type WorkspaceOptions } from './workspace';
