import { AutocoderError, ErrorCodes } from '@autocoder/contracts';
import type { Model } from '@anthropic-ai/sdk/resources/messages';
import { dirname, join } from 'node:path';

/** The model ids SDK 1.14 names (its `Model` type without the open `string & {}` arm). */
export type KnownModel = Model extends infer M ? (M extends string ? (string extends M ? never : M) : never) : never;

/**
 * Every id the SDK's `Model` type lists, as a value. A `Record` over the type: when an SDK upgrade
 * adds or removes a model this stops compiling, so the list cannot silently fall behind.
 */
const knownModels: Record<KnownModel, true> = {
  'claude-fable-5-2': true,
  'claude-mythos-5-2': true,
  'claude-haiku-5-5': true,
  'claude-sonnet-5-5': true,
  'claude-fable-5-1': true,
  'claude-opus-5-5': true,
  'claude-mythos-5-1': true,
  'claude-sonnet-5': true,
  'claude-fable-5': true,
  'claude-mythos-5': true,
  'claude-opus-5': true,
  'claude-opus-4-8': true,
  'claude-opus-4-7': true,
  'claude-mythos-preview': true,
  'claude-opus-4-6': true,
  'claude-sonnet-4-6': true,
  'claude-haiku-4-5': true,
  'claude-haiku-4-5-20251001': true,
  'claude-opus-4-5': true,
  'claude-opus-4-5-20251101': true,
  'claude-sonnet-4-5': true,
  'claude-sonnet-4-5-20250929': true,
};
export const KNOWN_MODELS: readonly KnownModel[] = Object.keys(knownModels) as KnownModel[];

/** Coding sessions: the newest Sonnet, the line built for long agentic coding at a moderate price. */
export const DEFAULT_CODING_MODEL: KnownModel = 'claude-sonnet-5-5';
/** The initializer plans the whole feature list once per project: the newest Opus is worth it there. */
export const DEFAULT_INITIALIZER_MODEL: KnownModel = 'claude-opus-5-5';

/**
 * The SDK's own list of deprecated models and their end-of-life dates (it warns on each call with one).
 * The package does not export it, so it is read from the installed file; the test fails if it moves.
 */
export function sdkDeprecatedModels(): Readonly<Record<string, string>> {
  try {
    const file = join(dirname(require.resolve('@anthropic-ai/sdk')), 'internal', 'data', 'deprecated-models.js');
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- not in the package's exports map
    const data = require(file) as { DEPRECATED_MODELS?: Record<string, string> };
    return data.DEPRECATED_MODELS ?? {};
  } catch {
    return {};
  }
}

/** SDK 1.14's list, kept here too so a refusal never depends on finding a file inside the SDK. */
const deprecatedAsOfSdk114: Readonly<Record<string, string>> = {
  'claude-mythos-preview': 'June 30th, 2026',
  'claude-opus-4-5': 'January 22nd, 2027',
  'claude-opus-4-5-20251101': 'January 22nd, 2027',
  'claude-sonnet-4-5': 'November 30th, 2026',
  'claude-sonnet-4-5-20250929': 'November 30th, 2026',
};

let deprecated: Readonly<Record<string, string>> | undefined;
/** Deprecated model id → its end-of-life date as the SDK words it. */
export const deprecatedModels = (): Readonly<Record<string, string>> =>
  (deprecated ??= { ...deprecatedAsOfSdk114, ...sdkDeprecatedModels() });

export const isKnownModel = (id: string): id is KnownModel => Object.hasOwn(knownModels, id);

export interface ModelCheck {
  model: string;
  /** Set when the id is not one the SDK knows: allowed (new models appear before the SDK lists them). */
  warning?: string;
}

/**
 * Refuses a model the SDK marks deprecated (MODEL_DEPRECATED, naming its end of life) or an empty
 * id; an id the SDK does not list passes with a warning, or is refused (MODEL_UNKNOWN) when
 * `allowUnknown` is false.
 */
export function assertUsableModel(id: string, { allowUnknown = true }: { allowUnknown?: boolean } = {}): ModelCheck {
  const model = id.trim();
  if (!model) throw new AutocoderError(ErrorCodes.ModelUnknown, 'model must not be empty: expected a Claude model id such as ' + DEFAULT_CODING_MODEL);
  const endOfLife = Object.hasOwn(deprecatedModels(), model) ? deprecatedModels()[model] : undefined;
  if (endOfLife !== undefined) {
    throw new AutocoderError(
      ErrorCodes.ModelDeprecated,
      `model ${model} is deprecated (end of life ${endOfLife}): use a current model such as ${DEFAULT_CODING_MODEL}`,
    );
  }
  if (isKnownModel(model)) return { model };
  const note = `model ${model} is not one @anthropic-ai/sdk 1.14 lists`;
  if (!allowUnknown) throw new AutocoderError(ErrorCodes.ModelUnknown, `${note}: expected one of ${usableModels().join(', ')}`);
  return { model, warning: `${note}; it is sent as given` };
}

/** The SDK's models that are not deprecated. */
export const usableModels = (): KnownModel[] => KNOWN_MODELS.filter((m) => !Object.hasOwn(deprecatedModels(), m));
