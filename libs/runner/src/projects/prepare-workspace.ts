import { AutocoderError, ErrorCodes } from '@autocoder/contracts';
import { constants, promises as fs } from 'node:fs';
import { join } from 'node:path';
import { simpleGit } from 'simple-git';

/**
 * Variables that would make git start an editor, a pager or a password prompt: a clone needs none, and
 * simple-git refuses to run with any of them set (npm sets EDITOR for every script it runs).
 */
const INTERACTIVE_VARIABLES = /^(EDITOR|VISUAL|PAGER|GIT_EDITOR|GIT_SEQUENCE_EDITOR|GIT_PAGER|GIT_ASKPASS|SSH_ASKPASS)$/i;

/** The runner's own environment for git, without prompts; its GIT_* settings (e.g. GIT_SSL_CAINFO) are the operator's, so allowed. */
function cloneEnv(): { env: Record<string, string>; allowEnvironment: string[] } {
  const env: Record<string, string> = { GIT_TERMINAL_PROMPT: '0' };
  for (const [name, value] of Object.entries(process.env)) {
    if (value !== undefined && !INTERACTIVE_VARIABLES.test(name) && name !== 'GIT_TERMINAL_PROMPT') env[name] = value;
  }
  // simple-git's environment guard refuses any GIT_* variable handed to .env() that is not listed here.
  return { env, allowEnvironment: Object.keys(env).filter((name) => /^GIT_/i.test(name)) };
}

const invalid = (field: string, message: string): never => {
  throw new AutocoderError(ErrorCodes.ValidationFailed, `${field}: ${message}`, [{ path: field, message }]);
};

async function ensureWritableFolder(path: string, field: string): Promise<void> {
  try {
    await fs.mkdir(path, { recursive: true });
  } catch (error) {
    invalid(field, `the folder ${path} cannot be created (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  const stat = await fs.stat(path);
  if (!stat.isDirectory()) invalid(field, `${path} exists and is not a folder`);
  try {
    await fs.access(path, constants.W_OK);
  } catch {
    invalid(field, `the folder ${path} is not writable by the runner`);
  }
}

/**
 * Makes the project's workspace before anything is recorded: a folder (created if missing), or a
 * clone of a repository into it. A failure names the field and the reason, and leaves no project.
 */
export async function prepareWorkspace(options: { path: string; repositoryUrl: string | null; pathGiven: boolean }): Promise<void> {
  const field = options.pathGiven ? 'path' : 'path (default under AUTOCODER_HOME/projects)';
  await ensureWritableFolder(options.path, field);
  if (!options.repositoryUrl) return;
  const entries = (await fs.readdir(options.path)).filter((e) => e !== '.autocoder');
  if (entries.includes('.git')) return; // cloned already (a retried registration)
  if (entries.length > 0) invalid('path', `${options.path} is not empty: a repository is cloned only into an empty folder`);
  try {
    // No prompts for credentials: a runner has nobody to answer them.
    const { env, allowEnvironment } = cloneEnv();
    await simpleGit({ timeout: { block: 120_000 }, allowEnvironment })
      .env(env)
      .clone(options.repositoryUrl, options.path);
  } catch (error) {
    await fs.rm(join(options.path, '.git'), { recursive: true, force: true }).catch(() => undefined);
    // git's own verdict is on its fatal:/error: lines; the advice after them says nothing specific.
    const lines = (error as Error).message.split('\n').map((l) => l.trim()).filter(Boolean);
    const verdict = lines.filter((l) => /^(fatal|error):/.test(l));
    const message = (verdict.length ? verdict : lines.slice(-2)).join(' ');
    invalid('repository_url', `${options.repositoryUrl} could not be cloned: ${message}`);
  }
}
