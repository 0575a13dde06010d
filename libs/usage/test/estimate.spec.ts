import { estimateRemaining } from '../src';

const sample = (usd: number, tokens: number, seconds: number) => ({ costPico: BigInt(Math.round(usd * 1e6)) * 1_000_000n, tokens, seconds });

describe('the estimate of the remaining features', () => {
  it("averages the project's own passing features and says so", () => {
    const e = estimateRemaining('p', 3, [sample(1, 1000, 60), sample(2, 3000, 120)], [sample(100, 1, 1)]);
    expect(e).toEqual({
      projectId: 'p',
      remainingFeatures: 3,
      estimatedCostUsd: '4.5',
      estimatedTokens: 6000,
      estimatedSeconds: 270,
      basis: 'project',
      basedOnFeatures: 2,
      method: 'average of the 2 passing features of this project ($1.5, 2000 tokens, 90 s of model calls each) times 3 remaining features',
    });
  });

  it('falls back to every project when this one has no passing feature yet', () => {
    const e = estimateRemaining('p', 2, [], [sample(0.3, 10, 1), sample(0.2, 20, 2), sample(0.1, 30, 3)]);
    expect(e).toMatchObject({ basis: 'all_projects', basedOnFeatures: 3, estimatedCostUsd: '0.4', estimatedTokens: 40 });
    expect(e.method).toContain('all projects (this one has none yet)');
  });

  it('says it cannot estimate when no project has a passing feature', () => {
    expect(estimateRemaining('p', 5, [], [])).toMatchObject({ basis: 'none', basedOnFeatures: 0, estimatedCostUsd: '0', remainingFeatures: 5 });
  });
});
