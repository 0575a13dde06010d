import { ErrorCodes, type ModelUsage } from '@autocoder/contracts';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPriceBook, parsePriceTable, picoToUsd, TablePriceBook } from '../src';

const book = loadPriceBook();
const usage = (u: Partial<ModelUsage>): ModelUsage => ({ input: 0, output: 0, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 0, ...u });
const M = 1_000_000;

describe('the shipped price table', () => {
  // One million tokens of a bucket costs its published price per MTok, to the picodollar.
  it.each([
    ['claude-sonnet-5-5', { input: M }, '2', 'exact'],
    ['claude-sonnet-5-5', { output: M }, '10', 'exact'],
    ['claude-sonnet-5-5', { cacheWrite5m: M }, '2.5', 'exact'],
    ['claude-sonnet-5-5', { cacheWrite1h: M }, '4', 'exact'],
    ['claude-opus-5-5', { cacheRead: M }, '0.2', 'exact'],
    ['claude-opus-5-5', { input: 1234, output: 567, cacheWrite5m: 89, cacheWrite1h: 10, cacheRead: 100_000 }, '0.036801', 'exact'],
    ['claude-fable-5-1', { cacheRead: M }, '0.25', 'exact'],
    ['claude-fable-5', { cacheRead: M }, '1', 'exact'],
    ['claude-haiku-4-5', { input: 1 }, '0.000001', 'exact'],
    ['claude-haiku-4-5-20251001', { output: M }, '5', 'pattern'],
    ['claude-sonnet-4-5-20250929', { input: 100_000, output: 1000 }, '0.315', 'pattern'],
    ['claude-opus-4-5-20251101', { cacheWrite1h: M }, '10', 'pattern'],
    ['claude-opus-5-5-latest', { output: M }, '20', 'pattern'],
    ['claude-sonnet-5-5[1m]', { output: M }, '10', 'pattern'],
  ] as const)('%s with %j costs $%s (%s match)', (model, u, usd, match) => {
    const priced = book.price(model, usage(u), '2026-12-01T10:00:00Z');
    expect({ costUsd: priced.costUsd, match: priced.match, unknownModel: priced.unknownModel }).toEqual({ costUsd: usd, match, unknownModel: false });
    expect(BigInt(priced.costs.total)).toBe(priced.totalPico);
    expect(priced.priceVersion).toBe(1);
  });

  it('prices a whole request past the long-context threshold at the higher rates, output included', () => {
    const below = book.price('claude-sonnet-4-5', usage({ input: 150_000, cacheRead: 50_000, output: 1000 }));
    expect(below).toMatchObject({ longContext: false, costUsd: '0.48' }); // 0.45 + 0.015 + 0.015
    const above = book.price('claude-sonnet-4-5', usage({ input: 150_000, cacheRead: 50_001, output: 1000 }));
    expect(above).toMatchObject({ longContext: true, costUsd: '0.9525006' }); // 0.9 + 0.0300006 + 0.0225
    const haiku = book.price('claude-haiku-5-5', usage({ input: 100_001, output: M, cacheWrite1h: M }));
    expect(haiku).toMatchObject({ longContext: true, costs: expect.objectContaining({ output: String(2_500_000n * 1_000_000n), cacheWrite1h: String(1_000_000n * 1_000_000n) }) });
  });

  it('uses the rates in effect when the call completed (Sonnet 5.5 cache hits were cut on 2026-10-07)', () => {
    expect(book.price('claude-sonnet-5-5', usage({ cacheRead: M }), '2026-10-06T23:59:59Z').costUsd).toBe('0.2');
    expect(book.price('claude-sonnet-5-5', usage({ cacheRead: M }), '2026-10-07T00:00:00Z').costUsd).toBe('0.1');
  });

  it('prices an unknown model at the fallback, flagged, never at $0', () => {
    const priced = book.price('claude-somebody-9', usage({ input: M, output: M }));
    expect(priced).toMatchObject({ match: 'fallback', unknownModel: true, costUsd: '60' });
  });

  it('gives a ceiling of max_tokens at the output price plus the input at the highest input rate', () => {
    // Sonnet 5.5: 16000 × $10/MTok + 50000 × $4/MTok (1-hour cache write) = 0.16 + 0.2
    expect(picoToUsd(book.ceiling('claude-sonnet-5-5', 16_000, 50_000))).toBe('0.36');
    // Haiku 5.5 past 100k input: the long-context card, 1000 × 2.5 + 200000 × 1 (per MTok)
    expect(picoToUsd(book.ceiling('claude-haiku-5-5', 1000, 200_000))).toBe('0.2025');
  });

  it('sums a million priced calls to the picodollar, as the rollup does', () => {
    let pico = 0n;
    for (let i = 0; i < 1_000_000; i++) {
      const priced = book.price(i % 3 ? 'claude-sonnet-5-5' : 'claude-haiku-4-5', usage({ input: 1 + (i % 97), output: i % 13, cacheRead: i % 7 }), '2026-12-01T00:00:00Z');
      pico += priced.totalPico;
    }
    // Exact: computed from the buckets in closed form (no sum of floats).
    let expected = 0n;
    for (let i = 0; i < 1_000_000; i++) {
      const [inRate, outRate, readRate] = i % 3 ? [2_000_000n, 10_000_000n, 100_000n] : [1_000_000n, 5_000_000n, 100_000n];
      expected += BigInt(1 + (i % 97)) * inRate + BigInt(i % 13) * outRate + BigInt(i % 7) * readRate;
    }
    expect(pico).toBe(expected);
  });
});

describe('a price file', () => {
  const write = (text: string) => {
    const file = join(mkdtempSync(join(tmpdir(), 'prices-')), 'prices.yaml');
    writeFileSync(file, text);
    return file;
  };
  const good = `version: 2
fallback: { input: '1', cacheWrite5m: '1', cacheWrite1h: '1', cacheRead: '1', output: '1' }
models:
  - id: claude-x
    rates:
      - { from: '2026-01-01', input: '3', cacheWrite5m: '3.75', cacheWrite1h: '6', cacheRead: '0.3', output: '15' }
`;

  it('overrides the defaults when AUTOCODER_PRICES_FILE names it, in YAML or JSON', () => {
    const yaml = loadPriceBook(write(good));
    expect(yaml.version).toBe(2);
    expect(yaml.price('claude-x', usage({ output: M })).costUsd).toBe('15');
    const json = loadPriceBook(write(JSON.stringify({ version: 3, fallback: { input: 1, cacheWrite5m: 1, cacheWrite1h: 1, cacheRead: 1, output: 1 }, models: [{ id: 'claude-y', rates: [{ from: '2026-01-01', input: 0.3, cacheWrite5m: 0.375, cacheWrite1h: 0.6, cacheRead: 0.03, output: 1.5 }] }] })));
    expect(json.price('claude-y', usage({ input: M })).costUsd).toBe('0.3');
  });

  it.each([
    ['a price that is not a number', good.replace("output: '15'", "output: 'fifteen'"), /line 6, field models\[0\]\.rates\[0\]\.output: expected dollars per million tokens/],
    ['a negative price', good.replace("input: '3'", "input: -3"), /line 6, field models\[0\]\.rates\[0\]\.input/],
    ['a missing bucket', good.replace(", cacheRead: '0.3'", ''), /line 6, field models\[0\]\.rates\[0\]\.cacheRead/],
    ['a missing version', good.replace('version: 2\n', ''), /line 1, field version: expected a whole number/],
    ['a bad day', good.replace("from: '2026-01-01'", "from: 'soon'"), /line 6, field models\[0\]\.rates\[0\]\.from: expected a day/],
    ['an unknown field', good.replace('  - id: claude-x', '  - id: claude-x\n    colour: blue').replace("input: '3'", "input: '3', extra: 1"), /line 7, field models\[0\]\.rates\[0\]\.extra/],
    ['broken YAML', good.replace('models:', 'models: [\n'), /line \d+: expected/],
  ])('is refused with the line and field named: %s', (_what, text, message) => {
    let thrown: unknown;
    try {
      parsePriceTable(text, 'prices.yaml');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toMatchObject({ code: ErrorCodes.PriceTableInvalid });
    expect((thrown as Error).message).toMatch(/^price file prices\.yaml line \d+/);
    expect((thrown as Error).message).toMatch(message);
  });

  it('that is missing is refused, naming it', () => {
    expect(() => loadPriceBook('/nonexistent/prices.yaml')).toThrow(/price file \/nonexistent\/prices\.yaml cannot be read/);
  });

  it('matches the longest id first, so a newer model is never priced as an older one', () => {
    const table = new TablePriceBook(parsePriceTable(good.replace('claude-x', 'claude-opus-5') + "  - id: claude-opus-5-5\n    rates:\n      - { from: '2026-01-01', input: '4', cacheWrite5m: '5', cacheWrite1h: '8', cacheRead: '0.2', output: '20' }\n", 't'));
    expect(table.price('claude-opus-5-5-20260923', usage({ output: M }))).toMatchObject({ match: 'pattern', costUsd: '20' });
    expect(table.price('claude-opus-5-20260724', usage({ output: M }))).toMatchObject({ match: 'pattern', costUsd: '15' });
  });
});
