import { usageOf } from '../../src/agent';

const usage = (u: object) => ({ usage: { input_tokens: 100, output_tokens: 20, cache_creation_input_tokens: null, cache_read_input_tokens: null, cache_creation: null, ...u } as any });

describe('usageOf', () => {
  it('splits cache writes by TTL when the API reports cache_creation', () => {
    expect(
      usageOf(
        usage({
          cache_creation_input_tokens: 700,
          cache_read_input_tokens: 5000,
          cache_creation: { ephemeral_5m_input_tokens: 300, ephemeral_1h_input_tokens: 400 },
        }),
      ),
    ).toEqual({ input: 100, output: 20, cacheWrite5m: 300, cacheWrite1h: 400, cacheRead: 5000 });
  });

  it('counts a bare cache_creation_input_tokens as 5-minute writes', () => {
    expect(usageOf(usage({ cache_creation_input_tokens: 700, cache_read_input_tokens: 10 }))).toEqual({
      input: 100,
      output: 20,
      cacheWrite5m: 700,
      cacheWrite1h: 0,
      cacheRead: 10,
    });
  });

  it('reads missing or null buckets as 0', () => {
    expect(usageOf(usage({}))).toEqual({ input: 100, output: 20, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 0 });
  });
});
