import { totalInputTokens, type BucketCosts, type ModelUsage, type PriceMatch } from '@autocoder/contracts';
import { picoToUsd } from '../money';
import type { PriceBook, PricedUsage } from './price-book';
import type { BucketRates, ModelPrices, PriceTable, RatePeriod } from './price-table';

export interface ModelLookup {
  match: PriceMatch;
  entry: ModelPrices | null;
}

/** The price table as a PriceBook: a model by exact id, then by pattern, else the flagged fallback. */
export class TablePriceBook implements PriceBook {
  private readonly byId: Map<string, ModelPrices>;
  /** Longer ids first, so `claude-opus-5-5-…` is never taken for `claude-opus-5`. */
  private readonly byPattern: ModelPrices[];

  constructor(readonly table: PriceTable) {
    this.byId = new Map(table.models.map((m) => [m.id, m]));
    this.byPattern = [...table.models].sort((a, b) => b.id.length - a.id.length);
  }

  get version(): number {
    return this.table.version;
  }

  lookup(model: string): ModelLookup {
    const exact = this.byId.get(model);
    if (exact) return { match: 'exact', entry: exact };
    const patterned = this.byPattern.find((m) => m.patterns.some((p) => p.test(model)));
    return patterned ? { match: 'pattern', entry: patterned } : { match: 'fallback', entry: null };
  }

  /** Prices a call with the rates in effect at `at` (when it completed; now by default). */
  price(model: string, usage: ModelUsage, at?: string): PricedUsage {
    const { match, entry } = this.lookup(model);
    const period = entry ? periodAt(entry, at) : null;
    const inputTokens = totalInputTokens(usage);
    const longContext = !!period?.longContext && inputTokens > period.longContext.thresholdTokens;
    const rates: BucketRates = period ? (longContext ? period.longContext! : period) : this.table.fallback;
    const input = BigInt(usage.input) * rates.input;
    const output = BigInt(usage.output) * rates.output;
    const cacheWrite5m = BigInt(usage.cacheWrite5m) * rates.cacheWrite5m;
    const cacheWrite1h = BigInt(usage.cacheWrite1h) * rates.cacheWrite1h;
    const cacheRead = BigInt(usage.cacheRead) * rates.cacheRead;
    const totalPico = input + output + cacheWrite5m + cacheWrite1h + cacheRead;
    const costs: BucketCosts = {
      input: input.toString(),
      output: output.toString(),
      cacheWrite5m: cacheWrite5m.toString(),
      cacheWrite1h: cacheWrite1h.toString(),
      cacheRead: cacheRead.toString(),
      total: totalPico.toString(),
    };
    return { priceVersion: this.version, match, unknownModel: match === 'fallback', longContext, costs, totalPico, costUsd: picoToUsd(totalPico) };
  }

  ceiling(model: string, maxTokens: number, inputTokens: number): bigint {
    const { entry } = this.lookup(model);
    const period = entry ? periodAt(entry) : null;
    const cards: BucketRates[] = period ? [period, ...(period.longContext && inputTokens > period.longContext.thresholdTokens ? [period.longContext] : [])] : [this.table.fallback];
    let most = 0n;
    for (const r of cards) {
      const highestInput = [r.input, r.cacheWrite5m, r.cacheWrite1h, r.cacheRead].reduce((a, b) => (b > a ? b : a));
      const cost = BigInt(maxTokens) * r.output + BigInt(inputTokens) * highestInput;
      if (cost > most) most = cost;
    }
    return most;
  }
}

/** The period in effect on the UTC day of `at`; before the first one, the first one. */
function periodAt(entry: ModelPrices, at?: string): RatePeriod {
  const day = (at ? new Date(at) : new Date()).toISOString().slice(0, 10);
  let current = entry.rates[0];
  for (const period of entry.rates) if (period.from <= day) current = period;
  return current;
}
