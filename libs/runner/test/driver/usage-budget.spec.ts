import { AutocoderError, ErrorCodes, Subjects, type ReserveBudgetInput } from '@autocoder/contracts';
import { InProcessBroker } from '@autocoder/messaging';
import { createLogger } from '@autocoder/platform';
import { estimateInputTokens, UsageBudgetClient } from '../../src/driver/usage-budget';

const call: ReserveBudgetInput = {
  projectId: '0b3f3a52-7b6e-4c0e-9f55-1f0c7a4b2d10',
  runId: '1b3f3a52-7b6e-4c0e-9f55-1f0c7a4b2d10',
  featureId: null,
  sessionId: '2b3f3a52-7b6e-4c0e-9f55-1f0c7a4b2d10',
  turn: 3,
  model: 'claude-sonnet-5-5',
  maxTokens: 16000,
  inputTokens: 1200,
};
const logger = createLogger('test', 'silent');
const signal = () => new AbortController().signal;

describe('the runner asking the usage service before a model call', () => {
  it('passes the call on and answers with the reservation', async () => {
    const bus = new InProcessBroker();
    const seen: unknown[] = [];
    bus.register(Subjects.usage.reserve, async (envelope) => {
      seen.push((envelope as { payload: unknown; actor: unknown }).payload);
      return { ok: true, value: { reservationId: 'r', amountUsd: '0.2436', warnings: [] } };
    });
    const decision = await new UsageBudgetClient(bus, logger).reserve(call, signal());
    expect(decision).toEqual({ ok: true, answer: { reservationId: 'r', amountUsd: '0.2436', warnings: [] } });
    expect(seen).toEqual([call]);
  });

  it('a refusal becomes the pause reason naming the budget, at once', async () => {
    const bus = new InProcessBroker();
    let asked = 0;
    bus.register(Subjects.usage.reserve, async () => {
      asked++;
      const error = new AutocoderError(ErrorCodes.BudgetExhausted, `project budget ${call.projectId} ($5 hard limit) is exhausted: …`, [
        { path: 'budget', message: `project budget ${call.projectId} ($5 hard limit)` },
      ]);
      return { ok: false, error: error.toBody() };
    });
    const decision = await new UsageBudgetClient(bus, logger).reserve(call, signal());
    expect(decision).toEqual({ ok: false, reason: `budget_exhausted: project budget ${call.projectId} ($5 hard limit)` });
    expect(asked).toBe(1);
  });

  it('no usage service: tries again with backoff, then pauses with usage_unavailable instead of calling unmetered', async () => {
    const bus = new InProcessBroker();
    const started = Date.now();
    const decision = await new UsageBudgetClient(bus, logger, { attempts: 3, firstDelayMs: 40 }).reserve(call, signal());
    expect(decision).toEqual({ ok: false, reason: expect.stringMatching(/^usage_unavailable: the usage service did not take the reservation .*no service answers usage\.cmd\.budget\.reserve/) });
    expect(Date.now() - started).toBeGreaterThanOrEqual(40 + 80 - 5);
  });

  it('a service that comes back during the backoff is used', async () => {
    const bus = new InProcessBroker();
    setTimeout(() => bus.register(Subjects.usage.reserve, async () => ({ ok: true, value: { reservationId: 'r', amountUsd: '1', warnings: [] } })), 60);
    const decision = await new UsageBudgetClient(bus, logger, { attempts: 4, firstDelayMs: 50 }).reserve(call, signal());
    expect(decision.ok).toBe(true);
  });

  it('estimates the input as a quarter of the request JSON, rounded up', () => {
    expect(estimateInputTokens({ a: 'x'.repeat(10) })).toBe(Math.ceil('{"a":"xxxxxxxxxx"}'.length / 4));
  });
});
