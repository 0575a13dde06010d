import { deprecatedModels, KNOWN_MODELS } from '@autocoder/runner';
import { loadPriceBook } from '@autocoder/usage';

// The usage service and the runner meet only here: every model the runner can be configured with has a price.
describe('the shipped price table and the runner', () => {
  it('prices every model id the runner can be configured with, deprecated ones included, without the fallback', () => {
    const book = loadPriceBook();
    const ids = [...new Set([...KNOWN_MODELS, ...Object.keys(deprecatedModels())])];
    expect(ids.length).toBeGreaterThan(20);
    const unpriced = ids.filter((id) => book.price(id, { input: 1, output: 1, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 0 }).unknownModel);
    expect(unpriced).toEqual([]);
  });
});
