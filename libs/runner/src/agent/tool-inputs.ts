import { z } from 'zod';

// Messages are written for the model: each becomes an is_error tool result it reads and corrects.
const typed = (kind: string) => (issue: { input?: unknown }) => (issue.input === undefined ? 'is required' : `must be ${kind}`);
const text = (description: string) => z.string({ error: typed('a string') }).describe(description);
const nonEmpty = (description: string) => text(description).min(1, 'must not be empty');
const int = (description: string) => z.number({ error: typed('a number') }).int('must be a whole number').describe(description);

const workspacePath = (description: string) =>
  nonEmpty(`${description} Relative to the workspace root (e.g. "src/app.ts"); absolute paths and ".." out of the workspace are refused.`);
const featureId = nonEmpty('The id of the feature, as feature_get_next returned it.');

const FeatureInput = z.strictObject({
  category: nonEmpty('A short group name, e.g. "functional", "api", "ui", "style", "infrastructure".'),
  name: nonEmpty('A short imperative title, e.g. "User can create a todo".'),
  description: nonEmpty('What the feature does and how a test proves it, in one or two sentences.'),
  steps: z
    .array(nonEmpty('One step of the test.'), { error: typed('an array of strings') })
    .min(1, 'must list at least one step')
    .describe('The steps of an automated test that proves the feature, in order; the last ones state the expected result.'),
  priority: int('Lower runs first; defaults to the position in the list.').min(0, 'must be 0 or more').optional(),
  depends_on: z
    .array(int('A 0-based position in this same features list.').min(0, 'must be 0 or more'), { error: typed('an array of numbers') })
    .optional()
    .describe('Features that must pass before this one: 0-based positions of EARLIER entries of this same list.'),
});

/** The input of every tool a session may call, by tool name (names and fields fixed by the spec). */
export const ToolInputs = {
  read_file: z.strictObject({ path: workspacePath('The file to read.') }),
  write_file: z.strictObject({
    path: workspacePath('The file to create or overwrite; missing folders are created.'),
    content: text('The whole new content of the file.'),
  }),
  edit_file: z.strictObject({
    path: workspacePath('The file to edit.'),
    old_string: nonEmpty('Exact text to replace; it must occur exactly once in the file (include surrounding lines to make it unique).'),
    new_string: text('The text that replaces old_string.'),
  }),
  list_files: z.strictObject({ path: workspacePath('The folder to list; the workspace root when omitted.').optional() }),
  search_files: z.strictObject({
    pattern: nonEmpty('A regular expression searched for in file contents.'),
    path: workspacePath('The folder (or file) to search; the workspace root when omitted.').optional(),
  }),
  bash: z.strictObject({
    command: nonEmpty('The shell command, run from the workspace root.'),
    timeout_sec: int('Seconds before the command is killed; the runner default when omitted.')
      .min(1, 'must be from 1 to 1800')
      .max(1800, 'must be from 1 to 1800')
      .optional(),
  }),
  feature_get_stats: z.strictObject({}),
  feature_get_next: z.strictObject({}),
  feature_mark_in_progress: z.strictObject({ feature_id: featureId }),
  feature_mark_passing: z.strictObject({
    feature_id: featureId,
    evidence: nonEmpty('The test command you ran and what its green output showed.'),
  }),
  feature_mark_failing: z.strictObject({ feature_id: featureId, reason: nonEmpty('What fails and why, for the next session.') }),
  feature_skip: z.strictObject({ feature_id: featureId, reason: nonEmpty('The external blocker that prevents the feature.') }),
  feature_create_bulk: z.strictObject({
    features: z
      .array(FeatureInput, { error: typed('an array of features') })
      .min(1, 'must hold at least one feature')
      .superRefine((features, ctx) =>
        features.forEach((feature, i) =>
          feature.depends_on?.forEach((dep, j) => {
            if (dep >= i) {
              ctx.addIssue({
                code: 'custom',
                path: [i, 'depends_on', j],
                message:
                  i === 0
                    ? `must be empty: the first feature can depend on no other, got ${dep}`
                    : `must be the position of an earlier feature (0 to ${i - 1}), got ${dep}`,
              });
            }
          }),
        ),
      )
      .describe('All the features of the app, fundamental ones first.'),
  }),
} as const;

export type ToolName = keyof typeof ToolInputs;
export const ToolNames = Object.keys(ToolInputs) as ToolName[];

/** A parsed tool call: the name and its typed input. */
export type ToolCall = { [K in ToolName]: { name: K; input: z.infer<(typeof ToolInputs)[K]> } }[ToolName];

export type ParsedToolInput = { ok: true; tool: ToolCall } | { ok: false; error: string };

const isToolName = (name: string): name is ToolName => Object.hasOwn(ToolInputs, name);

const describeIssue = (issue: z.core.$ZodIssue): string => {
  const where = issue.path.length ? issue.path.join('.') : 'input';
  if (issue.code === 'unrecognized_keys') return `${where === 'input' ? '' : where + ': '}unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')}`;
  return `${where}: ${issue.message}`;
};

/**
 * Parses a tool_use block's input. A refusal says what was wrong and what was expected, in words
 * the model can act on; the runner sends it back as an is_error tool result.
 */
export function parseToolInput(name: string, input: unknown, allowed: readonly string[] = ToolNames): ParsedToolInput {
  if (!isToolName(name) || !allowed.includes(name)) {
    return { ok: false, error: `unknown tool "${name}": the tools of this session are ${allowed.join(', ')}` };
  }
  const schema = ToolInputs[name];
  const fields = Object.keys(schema.shape);
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return { ok: false, error: `invalid input for ${name}: expected a JSON object${fields.length ? ` with ${fields.join(', ')}` : ' ({})'}` };
  }
  const parsed = schema.safeParse(input);
  if (parsed.success) return { ok: true, tool: { name, input: parsed.data } as ToolCall };
  const expected = fields.length ? ` (fields: ${fields.join(', ')})` : ' (it takes no fields: {})';
  return { ok: false, error: `invalid input for ${name}: ${parsed.error.issues.map(describeIssue).join('; ')}${expected}` };
}
