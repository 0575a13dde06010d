import { AutocoderError, ErrorCodes } from '@autocoder/contracts';
import { constants, promises as fs } from 'node:fs';
import { join } from 'node:path';
import { simpleGit } from 'simple-git';

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
    await simpleGit({ timeout: { block: 120_000 } })
      .env({ ...process.env, GIT_TERMINAL_PROMPT: '0' })
      .clone(options.repositoryUrl, options.path);
  } catch (error) {
    await fs.rm(join(options.path, '.git'), { recursive: true, force: true }).catch(() => undefined);
    const message = (error as Error).message.split('\n').filter(Boolean).slice(-2).join(' ');
    invalid('repository_url', `${options.repositoryUrl} could not be cloned: ${message}`);
  }
}
