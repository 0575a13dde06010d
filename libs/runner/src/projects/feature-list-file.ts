import { AutocoderError, ErrorCodes } from '@autocoder/contracts';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

/** The autonomous-coding quickstart's feature list: `[{category, description, steps, passes}]`. */
export const FEATURE_LIST_FILE = 'feature_list.json';

const Entry = z.object({
  category: z.string().trim().min(1).max(200).default('functional'),
  name: z.string().trim().min(1).max(200).optional(),
  description: z.string().trim().min(1, 'must not be empty').max(20_000),
  steps: z.array(z.string().max(2000)).max(100).default([]),
  passes: z.boolean().default(false),
});
export type FeatureListEntry = z.infer<typeof Entry>;

/** Reads and checks the workspace's feature_list.json; a problem names the entry and the field. */
export async function readFeatureList(workspace: string): Promise<FeatureListEntry[]> {
  const file = join(workspace, FEATURE_LIST_FILE);
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch {
    throw new AutocoderError(ErrorCodes.NotFound, `${file} does not exist: write the feature list there first`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new AutocoderError(ErrorCodes.ValidationFailed, `${FEATURE_LIST_FILE} is not JSON: ${(error as Error).message}`);
  }
  const parsed = z.array(Entry).max(2000).safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new AutocoderError(ErrorCodes.ValidationFailed, `${FEATURE_LIST_FILE}: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  return parsed.data;
}

/** A feature's short name when the list gives none: its description's first words. */
export const nameOf = (entry: FeatureListEntry): string => entry.name ?? (entry.description.length > 80 ? `${entry.description.slice(0, 77)}...` : entry.description);
