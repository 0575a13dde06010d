import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as vm from 'node:vm';
import { resolveInside } from './path-guard';
import { byteLength, capHead, capJsonList, ok, toolError, type ToolResult } from './tool-result';

/** Bytes read_file reads at most: enough for the capped text, never a whole huge file. */
const READ_LIMIT_BYTES = 256 * 1024;
/** Files edit_file loads whole at most. */
const EDIT_LIMIT_BYTES = 5 * 1024 * 1024;
const LIST_CAP = 1000;
const LIST_WALK_LIMIT = 50_000;
const SEARCH_MATCH_CAP = 200;
const SEARCH_FILE_LIMIT_BYTES = 1024 * 1024;
/** Characters of a line a search tests and shows: bounds the cost of a slow pattern on a long line. */
const SEARCH_LINE_CHARS = 2000;
const SEARCH_TEXT_CHARS = 300;
/** Time a search may take: a pattern that backtracks without end is stopped, not left to hang the runner. */
const SEARCH_BUDGET_MS = 5000;
const SKIPPED_DIRS = new Set(['node_modules', '.git']);

const describe = (error: unknown): string => {
  const e = error as NodeJS.ErrnoException;
  if (e?.code === 'ENOENT') return 'no such file or directory';
  if (e?.code === 'EISDIR') return 'is a directory';
  if (e?.code === 'ENOTDIR') return 'a part of the path is not a directory';
  if (e?.code === 'EACCES' || e?.code === 'EPERM') return 'permission denied';
  return e?.message ?? String(error);
};

const looksBinary = (bytes: Buffer): boolean => bytes.subarray(0, 8000).includes(0);

export async function readFileTool(root: string, given: string): Promise<ToolResult> {
  const r = resolveInside(root, given);
  if (!r.ok) return toolError(r.reason);
  let handle: fs.FileHandle | undefined;
  try {
    const stat = await fs.stat(r.abs);
    if (stat.isDirectory()) return toolError(`\`${given}\`: is a directory; use list_files to see what it holds`);
    handle = await fs.open(r.abs, 'r');
    const buffer = Buffer.alloc(Math.min(stat.size, READ_LIMIT_BYTES));
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    const bytes = buffer.subarray(0, bytesRead);
    if (looksBinary(bytes)) return toolError(`\`${given}\`: is a binary file (${stat.size} bytes); read_file shows text only`);
    const capped = capHead(bytes.toString('utf8'));
    const truncated = capped.truncated || stat.size > bytesRead;
    const text = !capped.truncated && truncated ? `${capped.text}\n… [truncated: file is ${stat.size} bytes]` : capped.text;
    return ok(text, stat.size, truncated);
  } catch (error) {
    return toolError(`\`${given}\`: ${describe(error)}`);
  } finally {
    await handle?.close();
  }
}

/** A second hard link may be a file outside the workspace that no realpath reveals. */
async function hardLinked(abs: string): Promise<boolean> {
  try {
    const s = await fs.lstat(abs);
    return s.isFile() && s.nlink > 1;
  } catch {
    return false;
  }
}

export async function writeFileTool(root: string, given: string, content: string, onChange: () => void): Promise<ToolResult> {
  if (typeof content !== 'string') return toolError('content must be a string');
  const r = resolveInside(root, given, { write: true });
  if (!r.ok) return toolError(r.reason);
  try {
    await fs.mkdir(path.dirname(r.abs), { recursive: true });
    // The parent folders just made cannot be symlinks, but a file may have appeared: check again.
    const again = resolveInside(root, given, { write: true });
    if (!again.ok) return toolError(again.reason);
    if (await hardLinked(again.abs)) return toolError(`\`${given}\`: has other hard links (it may be a file outside the workspace); refused`);
    await fs.writeFile(again.abs, content, 'utf8');
    onChange();
    return ok(`wrote ${byteLength(content)} bytes to ${again.rel}`);
  } catch (error) {
    return toolError(`\`${given}\`: ${describe(error)}`);
  }
}

/** Counts occurrences, overlapping ones included, so "exactly once" means one place to edit. */
function occurrences(text: string, needle: string): number {
  let count = 0;
  for (let at = text.indexOf(needle); at !== -1; at = text.indexOf(needle, at + 1)) count++;
  return count;
}

export async function editFileTool(
  root: string,
  given: string,
  oldString: string,
  newString: string,
  onChange: () => void,
): Promise<ToolResult> {
  if (typeof oldString !== 'string' || oldString === '') return toolError('old_string must be a non-empty string');
  if (typeof newString !== 'string') return toolError('new_string must be a string');
  if (oldString === newString) return toolError('old_string and new_string are the same: nothing to change');
  const r = resolveInside(root, given, { write: true });
  if (!r.ok) return toolError(r.reason);
  try {
    const stat = await fs.stat(r.abs);
    if (stat.isDirectory()) return toolError(`\`${given}\`: is a directory`);
    if (stat.nlink > 1) return toolError(`\`${given}\`: has other hard links (it may be a file outside the workspace); refused`);
    if (stat.size > EDIT_LIMIT_BYTES) return toolError(`\`${given}\`: is ${stat.size} bytes; edit_file edits files up to ${EDIT_LIMIT_BYTES} bytes`);
    const text = await fs.readFile(r.abs, 'utf8');
    const found = occurrences(text, oldString);
    if (found !== 1) {
      return toolError(
        found === 0
          ? `\`${given}\`: old_string was not found; it must occur exactly once (read the file and copy the text exactly)`
          : `\`${given}\`: old_string was found ${found} times; it must occur exactly once (include more surrounding text)`,
      );
    }
    const at = text.indexOf(oldString);
    // Slicing, not String.replace: `$&` and friends in new_string stay literal.
    await fs.writeFile(r.abs, text.slice(0, at) + newString + text.slice(at + oldString.length), 'utf8');
    onChange();
    const line = text.slice(0, at).split('\n').length;
    return ok(`edited ${r.rel}: replaced 1 occurrence at line ${line}`);
  } catch (error) {
    return toolError(`\`${given}\`: ${describe(error)}`);
  }
}

/** Walks files below `start` (not following symlinks), skipping node_modules and .git. */
async function walk(start: string, visit: (abs: string, isDir: boolean) => boolean): Promise<void> {
  const queue = [start];
  while (queue.length > 0) {
    const dir = queue.shift() as string;
    let entries: import('node:fs').Dirent[];
    try {
      entries = await fs.readdir(dir, { withFileTypes: true });
    } catch {
      continue;
    }
    entries.sort((a, b) => a.name.localeCompare(b.name));
    for (const entry of entries) {
      if (entry.isDirectory() && SKIPPED_DIRS.has(entry.name)) continue;
      const abs = path.join(dir, entry.name);
      if (!visit(abs, entry.isDirectory())) return;
      if (entry.isDirectory()) queue.push(abs);
    }
  }
}

export async function listFilesTool(root: string, given = '.'): Promise<ToolResult> {
  const r = resolveInside(root, given || '.');
  if (!r.ok) return toolError(r.reason);
  try {
    const stat = await fs.stat(r.abs);
    if (!stat.isDirectory()) return toolError(`\`${given}\`: is not a directory`);
  } catch (error) {
    return toolError(`\`${given}\`: ${describe(error)}`);
  }
  const listed: string[] = [];
  let total = 0;
  await walk(r.abs, (abs, isDir) => {
    total++;
    if (listed.length < LIST_CAP) listed.push(path.relative(root, abs) + (isDir ? '/' : ''));
    return total < LIST_WALK_LIMIT;
  });
  return capJsonList(listed, total);
}

export interface SearchMatch {
  path: string;
  line: number;
  text: string;
}

export async function searchFilesTool(
  root: string,
  pattern: string,
  given = '.',
  opts: { literal?: boolean; budgetMs?: number } = {},
): Promise<ToolResult> {
  if (typeof pattern !== 'string' || pattern === '') return toolError('pattern must be a non-empty string');
  let regex: RegExp;
  try {
    regex = new RegExp(opts.literal ? pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') : pattern);
  } catch (error) {
    return toolError(`pattern \`${pattern}\` is not a valid regular expression: ${(error as Error).message} (set literal to search for the text as is)`);
  }
  const r = resolveInside(root, given || '.');
  if (!r.ok) return toolError(r.reason);
  let stat: import('node:fs').Stats;
  try {
    stat = await fs.stat(r.abs);
  } catch (error) {
    return toolError(`\`${given}\`: ${describe(error)}`);
  }
  const files: string[] = [];
  if (stat.isDirectory()) {
    await walk(r.abs, (abs, isDir) => {
      if (!isDir) files.push(abs);
      return files.length < LIST_WALK_LIMIT;
    });
  } else files.push(r.abs);

  const matches: SearchMatch[] = [];
  let total = 0;
  // The pattern runs in a vm context so that its time can be cut (V8 interrupts a regex there).
  const context = vm.createContext({ regex, lines: [] as string[], hits: [] as number[] });
  const test = new vm.Script('hits = []; for (let i = 0; i < lines.length; i++) if (regex.test(lines[i])) hits.push(i);');
  const budgetMs = opts.budgetMs ?? SEARCH_BUDGET_MS;
  const deadline = Date.now() + budgetMs;
  for (const file of files) {
    let bytes: Buffer;
    try {
      const s = await fs.lstat(file);
      if (!s.isFile() || s.size > SEARCH_FILE_LIMIT_BYTES) continue;
      bytes = await fs.readFile(file);
    } catch {
      continue;
    }
    if (looksBinary(bytes)) continue;
    const lines = bytes.toString('utf8').split('\n').map((line) => line.slice(0, SEARCH_LINE_CHARS));
    context.lines = lines;
    try {
      test.runInContext(context, { timeout: Math.max(1, deadline - Date.now()) });
    } catch {
      return toolError(`pattern \`${pattern}\`: the search took longer than ${budgetMs / 1000} s and was stopped; use a simpler pattern or a narrower path`);
    }
    for (const i of context.hits as number[]) {
      const line = lines[i];
      total++;
      if (matches.length < SEARCH_MATCH_CAP) {
        matches.push({ path: path.relative(root, file), line: i + 1, text: line.trim().slice(0, SEARCH_TEXT_CHARS) });
      }
    }
  }
  return capJsonList(matches, total);
}
