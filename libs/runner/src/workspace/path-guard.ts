import * as fs from 'node:fs';
import * as path from 'node:path';

export type Resolved = { ok: true; abs: string; rel: string } | { ok: false; reason: string };

/**
 * Folders inside the workspace the model may not write: `.git` (hooks and config run on the host when
 * the runner commits) and `.autocoder` (the project's own allowed-commands list).
 */
export const PROTECTED_DIRS = ['.git', '.autocoder'] as const;

const inside = (root: string, abs: string): boolean => {
  const rel = path.relative(root, abs);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
};

/** The nearest path at or above `abs` that exists (lstat, so a dangling symlink counts as existing). */
function nearestExisting(abs: string): string {
  let current = abs;
  for (;;) {
    try {
      fs.lstatSync(current);
      return current;
    } catch {
      const parent = path.dirname(current);
      if (parent === current) return current;
      current = parent;
    }
  }
}

/**
 * Resolves a path the model gave inside the workspace root (`root` must already be a realpath).
 * Relative paths are taken from the root. Absolute paths are accepted only when they lie inside the
 * root, since models often echo back the absolute paths they were shown. `..` that leaves the root is
 * refused, and so is any path whose nearest existing part is, or goes through, a symlink that leads
 * out: the realpath of that part must be inside the root, so writing through a symlinked folder is
 * caught too.
 */
export function resolveInside(root: string, given: string, opts: { write?: boolean } = {}): Resolved {
  if (typeof given !== 'string' || given.trim() === '') return { ok: false, reason: 'path is empty: give a path inside the workspace' };
  if (given.includes('\0')) return { ok: false, reason: `\`${given}\`: path contains a NUL byte` };
  const abs = path.resolve(root, given);
  if (!inside(root, abs)) {
    return {
      ok: false,
      reason: path.isAbsolute(given)
        ? `\`${given}\`: absolute path outside the workspace (${root}); give a path relative to the workspace`
        : `\`${given}\`: path leads outside the workspace`,
    };
  }
  const existing = nearestExisting(abs);
  let real: string;
  try {
    real = fs.realpathSync(existing);
  } catch {
    return { ok: false, reason: `\`${given}\`: is a symlink whose target does not exist` };
  }
  if (!inside(root, real)) {
    return { ok: false, reason: `\`${given}\`: goes through a symlink that leads outside the workspace (to ${real})` };
  }
  // The checked location: the realpath of what exists plus the part still to be created.
  const checked = path.join(real, path.relative(existing, abs));
  const rel = path.relative(root, checked);
  if (opts.write) {
    const first = rel.split(path.sep)[0];
    if ((PROTECTED_DIRS as readonly string[]).includes(first)) {
      return { ok: false, reason: `\`${given}\`: ${first}/ is protected; the model may not write there` };
    }
  }
  return { ok: true, abs: checked, rel: rel === '' ? '.' : rel };
}
