import type { Tool } from '@anthropic-ai/sdk/resources/messages';
import { z } from 'zod';
import { ToolInputs, type ToolName } from './tool-inputs';

const descriptions: Record<ToolName, string> = {
  read_file: 'Read a text file of the workspace and return its content.',
  write_file: 'Create or overwrite a file of the workspace with the given content. Prefer edit_file for a small change to an existing file.',
  edit_file:
    'Replace one exact occurrence of old_string with new_string in a workspace file. Fails when old_string is missing or occurs more than once: read the file first and copy the text exactly.',
  list_files: 'List the files and folders under a workspace folder.',
  search_files: 'Search the contents of the files under a workspace folder for a regular expression and return the matching lines with their paths.',
  bash:
    'Run a shell command from the workspace root (e.g. "npm test", "node --test", "git status"). Only allowed programs run; others are refused with an error. Returns the exit code and the output. A command that does not exit by itself (a server) is killed at its timeout.',
  feature_get_stats: 'Counts of the project\'s features by status (pending, in_progress, passing, failing, skipped) and the total.',
  feature_get_next: 'The feature this session claimed: JSON with its id, category, name, description, steps and status. Call it first.',
  feature_mark_in_progress: 'Mark the claimed feature as in progress before changing any file for it.',
  feature_mark_passing:
    'Mark the claimed feature as passing. Refused unless a test command ran green (exit code 0) after your last file change; run the tests again after every edit.',
  feature_mark_failing: 'Mark the claimed feature as failing when you could not make its tests pass, with the reason for the next session.',
  feature_skip: 'Skip the claimed feature when an external blocker prevents it (missing credentials, an unavailable service), with the blocker as the reason.',
  feature_create_bulk:
    'Create the project\'s whole feature list at once, in priority order (fundamental features first). Each feature is one testable behaviour with concrete test steps.',
};

/** A tool definition with its input JSON Schema generated from the zod schema that parses its input. */
const definition = (name: ToolName): Tool => {
  const { $schema: _, ...input_schema } = z.toJSONSchema(ToolInputs[name], { target: 'draft-2020-12' }) as Record<string, unknown>;
  return deepFreeze({ name, description: descriptions[name], input_schema: input_schema as Tool.InputSchema });
};

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) Object.values(value).forEach(deepFreeze);
  return Object.freeze(value);
}

const workspaceTools: readonly ToolName[] = ['read_file', 'write_file', 'edit_file', 'list_files', 'search_files', 'bash'];

/** The initializer reads and scaffolds the workspace and defines the feature list. */
export const initializerToolNames: readonly ToolName[] = Object.freeze([...workspaceTools, 'feature_get_stats', 'feature_create_bulk']);
/** A coding session works on the one feature it claimed. */
export const codingToolNames: readonly ToolName[] = Object.freeze([
  ...workspaceTools,
  'feature_get_stats',
  'feature_get_next',
  'feature_mark_in_progress',
  'feature_mark_passing',
  'feature_mark_failing',
  'feature_skip',
]);

// Built once and frozen: the stable prefix of every request of a session is byte-identical.
export const initializerTools: readonly Tool[] = Object.freeze(initializerToolNames.map(definition));
export const codingTools: readonly Tool[] = Object.freeze(codingToolNames.map(definition));
