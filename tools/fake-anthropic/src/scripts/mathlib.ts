// The mathlib script plays both agents of Autocoder's two-agent loop on the spec's tool names.
// Which agent a request is for: the initializer when the request's tools include
// `feature_create_bulk`, else a coding session. Each turn is picked by the number of assistant
// messages in the request and reads earlier tool results from the request itself.
import { type AssistantTurn, lastToolResult, scriptBook, scriptTurns, text, toolUse, type Script, type Turn } from '../script';
import type { MessagesRequest } from '../types';
import { MATHLIB_FEATURES, MATHLIB_FILES, MATHLIB_PACKAGE_JSON } from './mathlib-code';

export const INITIALIZER_TOOL = 'feature_create_bulk';

export function isInitializerRequest(request: MessagesRequest): boolean {
  return (request.tools ?? []).some((t) => t.name === INITIALIZER_TOOL);
}

export const mathlibInitializer: Script = scriptTurns([
  { content: [text('Setting up the mathlib project.'), toolUse('write_file', { path: 'package.json', content: MATHLIB_PACKAGE_JSON })] },
  { content: [text('Recording the features of the library.'), toolUse(INITIALIZER_TOOL, { features: MATHLIB_FEATURES })] },
  { content: [text('Created package.json and 4 features: add/subtract, multiply/divide, mean/median, parse.')], stop_reason: 'end_turn' },
]);

interface NextFeature {
  id: string;
  name: string;
}

/** The feature feature_get_next returned: its result is JSON, the feature itself or `{feature}`; null when none is left. */
export function nextFeature(request: MessagesRequest): NextFeature | undefined {
  const result = lastToolResult(request, 'feature_get_next');
  if (result === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(result);
  } catch {
    return undefined;
  }
  const feature = (parsed as { feature?: unknown } | null)?.feature ?? parsed;
  if (!feature || typeof feature !== 'object') return undefined;
  const { id, name } = feature as { id?: unknown; name?: unknown };
  return id === undefined || id === null ? undefined : { id: String(id), name: String(name ?? '') };
}

/** Whether the bash result shows exit code 0: "exit code 0", `"exit_code": 0` or `"exitCode": 0`. */
export function exitedZero(result: string | undefined): boolean {
  return result !== undefined && /exit[ _]?code"?\s*[:=]?\s*0(?!\d)/i.test(result);
}

function filesFor(request: MessagesRequest) {
  const feature = nextFeature(request);
  return feature ? MATHLIB_FILES[feature.name.toLowerCase()] : undefined;
}

/** A coding session: get the next feature, implement it, test it, mark it; `explore` turns come before the writes. */
export function mathlibCoding(explore: AssistantTurn[] = []): Script {
  const noFeature = (request: MessagesRequest): AssistantTurn | undefined => {
    const feature = nextFeature(request);
    if (!feature) return { content: [text('No feature is left to implement.')], stop_reason: 'end_turn' };
    if (!filesFor(request)) {
      return { content: [toolUse('feature_skip', { feature_id: feature.id, reason: `the mathlib script has no code for "${feature.name}"` })] };
    }
    return undefined;
  };
  // After a skip or "none left" the session ends on the next turn, whatever turn it is.
  type Files = NonNullable<ReturnType<typeof filesFor>>;
  const guarded =
    (make: (request: MessagesRequest, feature: NextFeature, files: Files) => AssistantTurn): Turn =>
    (request) => {
      if (lastToolResult(request, 'feature_skip') !== undefined) return { content: [text('Skipped the feature; ending the session.')], stop_reason: 'end_turn' };
      return noFeature(request) ?? make(request, nextFeature(request)!, filesFor(request)!);
    };
  return scriptTurns([
    { content: [text('Looking for the next feature.'), toolUse('feature_get_next', {})] },
    guarded((_r, feature) => ({ content: [text(`Working on "${feature.name}".`), toolUse('feature_mark_in_progress', { feature_id: feature.id })] })),
    ...explore.map((t) => guarded(() => t)),
    guarded((_r, _f, files) => ({ content: [toolUse('write_file', files.module)] })),
    guarded((_r, _f, files) => ({ content: [toolUse('write_file', files.test)] })),
    guarded(() => ({ content: [text('Running the tests.'), toolUse('bash', { command: 'node --test' })] })),
    guarded((request, feature) => {
      const result = lastToolResult(request, 'bash');
      return exitedZero(result)
        ? { content: [toolUse('feature_mark_passing', { feature_id: feature.id, evidence: 'node --test: all tests pass (exit code 0)' })] }
        : { content: [toolUse('feature_mark_failing', { feature_id: feature.id, reason: `node --test failed: ${(result ?? '').slice(0, 200)}` })] };
    }),
    guarded((request, feature) => ({
      content: [
        text(
          lastToolResult(request, 'feature_mark_passing') !== undefined
            ? `Implemented "${feature.name}"; its tests pass and it is marked passing.`
            : `"${feature.name}" does not pass yet; marked failing.`,
        ),
      ],
      stop_reason: 'end_turn',
    })),
  ]);
}

export function mathlibBook(coding: Script = mathlibCoding()): Script {
  return scriptBook({ initializer: mathlibInitializer, coding }, (request) => (isInitializerRequest(request) ? 'initializer' : 'coding'));
}

export const mathlib: Script = mathlibBook();
