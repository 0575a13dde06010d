import type { BucketCosts, ModelUsage, PriceMatch } from '@autocoder/contracts';

/** A call's usage priced with one version of the price table. */
export interface PricedUsage {
  priceVersion: number;
  match: PriceMatch;
  unknownModel: boolean;
  longContext: boolean;
  /** Picodollars per bucket, as decimal strings. */
  costs: BucketCosts;
  totalPico: bigint;
  costUsd: string;
}

/** The price table as the ledger and the budgets use it. */
export interface PriceBook {
  readonly version: number;
  /** `at`: when the call completed (the price file is effective-dated); now when not given. */
  price(model: string, usage: ModelUsage, at?: string): PricedUsage;
  /**
   * The most a call can cost before it is made: `maxTokens` at the output price plus `inputTokens` at
   * the highest input rate of the model (a cache write, or the long-context rate), in picodollars.
   */
  ceiling(model: string, maxTokens: number, inputTokens: number): bigint;
}
