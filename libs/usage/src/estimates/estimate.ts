import type { UsageEstimate } from '@autocoder/contracts';
import { picoToUsd } from '../money';

/** What one completed feature cost. */
export interface FeatureSample {
  costPico: bigint;
  tokens: number;
  seconds: number;
}

/**
 * The remaining features' cost, tokens and time as the average of the completed ones times how many
 * remain: the project's own completed features when it has any, else every project's. Exact in
 * picodollars (the average is rounded to the nearest picodollar).
 */
export function estimateRemaining(
  projectId: string,
  remainingFeatures: number,
  own: FeatureSample[],
  everyone: FeatureSample[],
): UsageEstimate {
  const basis: UsageEstimate['basis'] = own.length ? 'project' : everyone.length ? 'all_projects' : 'none';
  const samples = basis === 'project' ? own : basis === 'all_projects' ? everyone : [];
  if (!samples.length) {
    return {
      projectId,
      remainingFeatures,
      estimatedCostUsd: '0',
      estimatedTokens: 0,
      estimatedSeconds: 0,
      basis,
      basedOnFeatures: 0,
      method: `no passing feature with recorded usage in this or any project yet: ${remainingFeatures} remaining features cannot be estimated`,
    };
  }
  const n = BigInt(samples.length);
  const cost = samples.reduce((a, s) => a + s.costPico, 0n);
  const tokens = samples.reduce((a, s) => a + s.tokens, 0);
  const seconds = samples.reduce((a, s) => a + s.seconds, 0);
  const averagePico = (cost * 2n + n) / (2n * n);
  const where = basis === 'project' ? 'this project' : 'all projects (this one has none yet)';
  return {
    projectId,
    remainingFeatures,
    estimatedCostUsd: picoToUsd(averagePico * BigInt(remainingFeatures)),
    estimatedTokens: Math.round((tokens / samples.length) * remainingFeatures),
    estimatedSeconds: Math.round((seconds / samples.length) * remainingFeatures),
    basis,
    basedOnFeatures: samples.length,
    method:
      `average of the ${samples.length} passing feature${samples.length === 1 ? '' : 's'} of ${where} ` +
      `($${picoToUsd(averagePico)}, ${Math.round(tokens / samples.length)} tokens, ${Math.round(seconds / samples.length)} s of model calls each) ` +
      `times ${remainingFeatures} remaining feature${remainingFeatures === 1 ? '' : 's'}`,
  };
}
