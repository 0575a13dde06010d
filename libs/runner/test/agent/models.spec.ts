import { isAutocoderError } from '@autocoder/contracts';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  DEFAULT_CODING_MODEL,
  DEFAULT_INITIALIZER_MODEL,
  KNOWN_MODELS,
  assertUsableModel,
  sdkDeprecatedModels,
  usableModels,
} from '../../src/agent';

/** The model ids of the installed SDK's `Model` type, read from its declaration file. */
function sdkModelIds(): string[] {
  const dts = readFileSync(join(dirname(require.resolve('@anthropic-ai/sdk')), 'resources', 'messages', 'messages.d.ts'), 'utf8');
  const union = /export type Model =([^;]+);/.exec(dts)?.[1];
  if (!union) throw new Error('the SDK no longer declares `export type Model = ...` in resources/messages/messages.d.ts');
  return [...union.matchAll(/'([^']+)'/g)].map((m) => m[1]);
}

describe('models', () => {
  const sdkIds = sdkModelIds();
  const deprecated = sdkDeprecatedModels();

  it("reads the installed SDK's deprecated list (and finds claude-sonnet-4-5 ended 2026-11-30)", () => {
    expect(Object.keys(deprecated).length).toBeGreaterThan(0);
    expect(deprecated['claude-sonnet-4-5']).toBe('November 30th, 2026');
  });

  it.each([
    ['DEFAULT_CODING_MODEL', DEFAULT_CODING_MODEL],
    ['DEFAULT_INITIALIZER_MODEL', DEFAULT_INITIALIZER_MODEL],
  ])('%s (%s) is in the SDK model list and not deprecated', (_, model) => {
    expect(sdkIds).toContain(model);
    expect(Object.keys(deprecated)).not.toContain(model);
    expect(assertUsableModel(model)).toEqual({ model });
  });

  it('knows exactly the models the SDK lists', () => {
    expect([...KNOWN_MODELS].sort()).toEqual([...sdkIds].sort());
    expect(usableModels().some((m) => m in deprecated)).toBe(false);
  });

  it.each(Object.entries(sdkDeprecatedModels()))('refuses deprecated %s naming its end of life', (model, endOfLife) => {
    expect.assertions(3);
    try {
      assertUsableModel(model);
    } catch (error) {
      expect(isAutocoderError(error, 'MODEL_DEPRECATED')).toBe(true);
      expect((error as Error).message).toContain(endOfLife);
      expect((error as Error).message).toContain(model);
    }
  });

  it('lets an id the SDK does not know through with a warning, or refuses it when asked to', () => {
    const check = assertUsableModel('claude-sonnet-9');
    expect(check.model).toBe('claude-sonnet-9');
    expect(check.warning).toMatch(/claude-sonnet-9 is not one @anthropic-ai\/sdk 1.14 lists/);
    expect(() => assertUsableModel('claude-sonnet-9', { allowUnknown: false })).toThrow(/expected one of .*claude-sonnet-5-5/);
    expect(assertUsableModel('constructor').warning).toBeDefined();
  });

  it('refuses an empty id', () => {
    expect(() => assertUsableModel('  ')).toThrow(expect.objectContaining({ code: 'MODEL_UNKNOWN' }));
  });
});
