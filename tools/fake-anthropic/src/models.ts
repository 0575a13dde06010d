// The models the fake serves: the ids the SDK lists, less those it marks deprecated (the SDK warns on
// those; the API retires them). Read from the installed SDK so an upgrade moves the list with it.
import { dirname, join } from 'node:path';

// The SDK does not export its internal/ folder; an absolute path reads the file it ships all the same.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a CommonJS file outside the package's exports
const { DEPRECATED_MODELS } = require(join(dirname(require.resolve('@anthropic-ai/sdk')), 'internal/data/deprecated-models.js')) as {
  DEPRECATED_MODELS: Readonly<Record<string, string>>;
};

/** The SDK's `Model` union (resources/messages/messages.d.ts), current as of @anthropic-ai/sdk 1.14.0. */
const SDK_MODELS = [
  'claude-fable-5-2',
  'claude-mythos-5-2',
  'claude-haiku-5-5',
  'claude-sonnet-5-5',
  'claude-fable-5-1',
  'claude-opus-5-5',
  'claude-mythos-5-1',
  'claude-sonnet-5',
  'claude-fable-5',
  'claude-mythos-5',
  'claude-opus-5',
  'claude-opus-4-8',
  'claude-opus-4-7',
  'claude-mythos-preview',
  'claude-opus-4-6',
  'claude-sonnet-4-6',
  'claude-haiku-4-5',
  'claude-haiku-4-5-20251001',
  'claude-opus-4-5',
  'claude-opus-4-5-20251101',
  'claude-sonnet-4-5',
  'claude-sonnet-4-5-20250929',
] as const;

export const DEPRECATED: Readonly<Record<string, string>> = DEPRECATED_MODELS;

export const SERVED_MODELS: readonly string[] = SDK_MODELS.filter((m) => !(m in DEPRECATED_MODELS));

export function isServedModel(model: string): boolean {
  return SERVED_MODELS.includes(model);
}
