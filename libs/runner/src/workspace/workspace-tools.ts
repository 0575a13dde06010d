import { MAX_TIMEOUT_SEC, DEFAULT_TIMEOUT_SEC, type BashResult } from './run-command';
import { toolError, type ToolResult } from './tool-result';
import type { Workspace } from './workspace';

/** A tool as the Messages API takes it. */
export interface ToolDefinition {
  name: string;
  description: string;
  input_schema: { type: 'object'; properties: Record<string, unknown>; required: string[] };
}

const str = (description: string) => ({ type: 'string', description });

/** The workspace tools, named as the spec names them, for the `tools` of a Messages request. */
export const WORKSPACE_TOOLS: readonly ToolDefinition[] = [
  {
    name: 'read_file',
    description: 'Read a text file in the project (paths are relative to the project root; long files are cut).',
    input_schema: { type: 'object', properties: { path: str('file path from the project root') }, required: ['path'] },
  },
  {
    name: 'write_file',
    description: 'Create or overwrite a file with the given content; parent folders are created.',
    input_schema: {
      type: 'object',
      properties: { path: str('file path from the project root'), content: str('the whole new content') },
      required: ['path', 'content'],
    },
  },
  {
    name: 'edit_file',
    description: 'Replace old_string by new_string in a file; old_string must occur exactly once.',
    input_schema: {
      type: 'object',
      properties: { path: str('file path from the project root'), old_string: str('text to replace, exactly as in the file'), new_string: str('replacement text') },
      required: ['path', 'old_string', 'new_string'],
    },
  },
  {
    name: 'list_files',
    description: 'List files below a folder (recursive; node_modules and .git skipped) as a JSON list.',
    input_schema: { type: 'object', properties: { path: str('folder from the project root (default: the root)') }, required: [] },
  },
  {
    name: 'search_files',
    description: 'Search file contents with a JavaScript regular expression; answers JSON [{path, line, text}].',
    input_schema: {
      type: 'object',
      properties: {
        pattern: str('regular expression (or plain text with literal: true)'),
        path: str('file or folder to search (default: the root)'),
        literal: { type: 'boolean', description: 'search for the pattern as plain text' },
      },
      required: ['pattern'],
    },
  },
  {
    name: 'bash',
    description:
      'Run a shell command in the project root. Only allowed commands run (refusals say why); paths must stay in the project. ' +
      'Background processes end when the command ends.',
    input_schema: {
      type: 'object',
      properties: {
        command: str('the command line'),
        timeout_sec: { type: 'number', description: `seconds before it is killed (default ${DEFAULT_TIMEOUT_SEC}, at most ${MAX_TIMEOUT_SEC})` },
      },
      required: ['command'],
    },
  },
];

type Input = Record<string, unknown>;

function field(input: Input, name: string, optional = false): string | undefined | ToolResult {
  const value = input[name];
  if (value === undefined && optional) return undefined;
  if (typeof value !== 'string') return toolError(`input.${name} must be a string`);
  return value;
}

const isResult = (v: unknown): v is ToolResult => typeof v === 'object' && v !== null && 'isError' in v;

/**
 * Runs one tool_use of the model against the workspace. Unknown tools and malformed input are
 * answered as tool errors, like every refusal, so the caller sends them back as `is_error` results.
 */
export async function callWorkspaceTool(
  ws: Workspace,
  name: string,
  rawInput: unknown,
  opts: { signal?: AbortSignal } = {},
): Promise<ToolResult | BashResult> {
  if (typeof rawInput !== 'object' || rawInput === null || Array.isArray(rawInput)) return toolError('tool input must be an object');
  const input = rawInput as Input;
  const args = (...names: string[]): Array<string | undefined> | ToolResult => {
    const values: Array<string | undefined> = [];
    for (const n of names) {
      const optional = n.endsWith('?');
      const v = field(input, optional ? n.slice(0, -1) : n, optional);
      if (isResult(v)) return v;
      values.push(v);
    }
    return values;
  };
  let a: Array<string | undefined> | ToolResult;
  switch (name) {
    case 'read_file':
      return isResult((a = args('path'))) ? a : ws.readFile(a[0] as string);
    case 'write_file':
      return isResult((a = args('path', 'content'))) ? a : ws.writeFile(a[0] as string, a[1] as string);
    case 'edit_file':
      return isResult((a = args('path', 'old_string', 'new_string'))) ? a : ws.editFile(a[0] as string, a[1] as string, a[2] as string);
    case 'list_files':
      return isResult((a = args('path?'))) ? a : ws.listFiles(a[0]);
    case 'search_files':
      return isResult((a = args('pattern', 'path?'))) ? a : ws.searchFiles(a[0] as string, a[1], { literal: input.literal === true });
    case 'bash': {
      if (isResult((a = args('command')))) return a;
      const timeout = input.timeout_sec;
      if (timeout !== undefined && (typeof timeout !== 'number' || !(timeout > 0))) return toolError('input.timeout_sec must be a positive number of seconds');
      return ws.bash(a[0] as string, { timeoutSec: timeout as number | undefined, signal: opts.signal });
    }
    default:
      return toolError(`unknown tool \`${name}\` (tools: ${WORKSPACE_TOOLS.map((t) => t.name).join(', ')})`);
  }
}
