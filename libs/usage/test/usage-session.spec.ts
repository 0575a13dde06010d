import type { CallPriced, UsageSessionEvent } from '@autocoder/contracts';
import { deciderSpec } from '@autocoder/testing';
import { usageProblems, usageSessionDecider } from '../src';

const priced = (callId: string, version = 1, total = '5000000'): CallPriced => ({
  type: 'CallPriced',
  data: {
    projectId: 'p',
    runId: 'r',
    sessionId: 's',
    featureId: 'f-1',
    taskId: null,
    callId,
    turn: 0,
    model: 'claude-sonnet-5-5',
    usage: { input: 1, output: 0, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 0 },
    priceVersion: version,
    match: 'exact',
    unknownModel: false,
    longContext: false,
    costs: { input: total, output: '0', cacheWrite5m: '0', cacheWrite1h: '0', cacheRead: '0', total },
    costUsd: '0.000005',
    calledAt: '2026-12-01T00:00:00.000Z',
    pricedAt: '2026-12-01T00:00:01.000Z',
  },
});
const given = deciderSpec(usageSessionDecider);
const recost = (total: string, toVersion = 2) => ({
  type: 'RecostCall' as const,
  data: {
    callId: 'c1',
    sessionId: 's',
    projectId: 'p',
    toVersion,
    match: 'exact' as const,
    unknownModel: false,
    longContext: false,
    costs: { input: total, output: '0', cacheWrite5m: '0', cacheWrite1h: '0', cacheRead: '0', total },
    costUsd: '0.000003',
    recostedAt: '2026-12-02T00:00:00.000Z',
  },
});

describe('a session ledger', () => {
  it('prices a call once: the same call again (a replay) decides nothing', () => {
    given().when({ type: 'PriceCall', data: priced('c1').data }).then([priced('c1')]);
    given(priced('c1')).when({ type: 'PriceCall', data: priced('c1').data }).then([]);
  });

  it('records a recost with the version and the price it replaces', () => {
    const events: UsageSessionEvent[] = [priced('c1')];
    given(...events)
      .when(recost('3000000'))
      .then([{ type: 'CallRecosted', data: { ...recost('3000000').data, fromVersion: 1, previousCostUsd: '0.000005' } }]);
  });

  it('records nothing when the price under the new version is the same, or the call is unknown', () => {
    given(priced('c1', 2, '3000000')).when(recost('3000000')).then([]);
    given().when(recost('3000000')).then([]);
  });

  it('does not price a call it recorded as not priceable', () => {
    const rejected: UsageSessionEvent = { type: 'CallNotPriced', data: { callId: 'c1', sessionId: 's', projectId: 'p', runId: 'r', model: 'm', problems: ['x'], recordedAt: 'now' } };
    given(rejected).when({ type: 'PriceCall', data: priced('c1').data }).then([]);
  });
});

describe('token counts of a model call', () => {
  it.each([
    [{ input: 1, output: 2, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 3 }, []],
    [{ input: -1, output: 2, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 3 }, ['usage.input is -1: expected 0 or more tokens']],
    [{ input: 1.5, output: 2, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 3 }, ['usage.input is 1.5: expected a whole number of tokens']],
    [{ input: 1, output: '2', cacheWrite5m: 0, cacheRead: 3 }, ['usage.output is "2": expected a whole number of tokens', 'usage.cacheWrite1h is missing: expected a whole number of tokens']],
    [undefined, ['usage is missing: expected the token counts input, output, cacheWrite5m, cacheWrite1h, cacheRead']],
  ])('%j: %j', (usage, problems) => {
    expect(usageProblems(usage)).toEqual(problems);
  });
});
