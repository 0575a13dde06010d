import type { BudgetEvent, BudgetReserved, BudgetSet } from '@autocoder/contracts';
import { deciderSpec } from '@autocoder/testing';
import { budgetDecider, budgetViewOf, RESERVATION_TTL_MS, type BudgetCommand, type ExistingBudget } from '../../src/budgets/budget';
import { usdToPico } from '../../src/money';

const now = '2026-12-01T12:00:00.000Z';
const later = (ms: number) => new Date(Date.parse(now) + ms).toISOString();
const projectId = '0b3f3a52-7b6e-4c0e-9f55-1f0c7a4b2d10';
const sessionId = '5d7e0a8c-7d0f-4f5b-9e0a-7b2f1c3d4e5f';
const given = deciderSpec(budgetDecider);
const scope = { scope: 'project' as const, scopeId: projectId };

const set = (softUsd: string | null, hardUsd: string | null): BudgetSet => ({
  type: 'BudgetSet',
  data: { ...scope, projectId, softUsd, hardUsd, setBy: 'admin', setAt: now },
});
const setBudget = (softUsd?: unknown, hardUsd?: unknown): BudgetCommand => ({
  type: 'SetBudget',
  data: { ...scope, projectId, softUsd: softUsd as string, hardUsd: hardUsd as string, setBy: 'admin', now },
});
const reserve = (id: string, usd: string, at = now): BudgetCommand => ({ type: 'Reserve', data: { reservationId: id, sessionId, turn: 0, amountPico: usdToPico(usd), now: at } });
const reserved = (id: string, usd: string, at = now): BudgetReserved => ({
  type: 'BudgetReserved',
  data: { ...scope, reservationId: id, sessionId, turn: 0, amountPico: usdToPico(usd).toString(), reservedAt: at },
});
const settle = (id: string, usd: string): BudgetCommand => ({ type: 'Settle', data: { reservationId: id, sessionId, turn: 0, costPico: usdToPico(usd), now } });
const settled = (id: string, usd: string): BudgetEvent => ({
  type: 'BudgetSettled',
  data: { ...scope, reservationId: id, sessionId, turn: 0, costPico: usdToPico(usd).toString(), settledAt: now },
});
const view = (...events: BudgetEvent[]) => budgetViewOf(events.reduce(budgetDecider.evolve, budgetDecider.initialState) as ExistingBudget);

describe('budget decider', () => {
  describe('SetBudget', () => {
    it('sets a soft threshold and a hard limit, exactly as given', () => {
      given().when(setBudget('0.5', '1.25')).then([set('0.5', '1.25')]);
    });

    it('keeps a value not given, removes one given as null, and records nothing when nothing changes', () => {
      given(set('1', '2')).when(setBudget(undefined, '3')).then([set('1', '3')]);
      given(set('1', '2')).when(setBudget(null, undefined)).then([set(null, '2')]);
      given(set('1', '2')).when(setBudget('1.0', '2')).then([]);
    });

    it.each([
      ['softUsd', '-1', undefined],
      ['hardUsd', undefined, '-0.01'],
      ['hardUsd', undefined, 'ten'],
      ['softUsd', 12, undefined],
      ['hardUsd', undefined, 'NaN'],
    ])('refuses a %s below zero or not a number (%p / %p), naming the field', (field, soft, hard) => {
      const error = given().when(setBudget(soft, hard)).thenFails('VALIDATION_FAILED', new RegExp(field));
      expect(error.details).toEqual([expect.objectContaining({ path: field })]);
    });

    it('refuses a soft threshold above the hard limit', () => {
      given(set(null, '1')).when(setBudget('2', undefined)).thenFails('VALIDATION_FAILED', /softUsd/);
    });
  });

  describe('Reserve', () => {
    it('does nothing without a budget', () => {
      given().when(reserve('r1', '1')).then([]);
    });

    it('holds the estimate when it fits under the hard limit, counting what is spent and reserved', () => {
      given(set(null, '1'), reserved('r1', '0.4'), settled('r1', '0.3'), reserved('r2', '0.3')).when(reserve('r3', '0.4')).then([reserved('r3', '0.4')]);
    });

    it('is the same reservation when retried', () => {
      given(set(null, '1'), reserved('r1', '0.9')).when(reserve('r1', '0.9')).then([]);
    });

    it('refuses past the hard limit, recording BudgetExhausted once, then refusing with BUDGET_EXHAUSTED naming limit, spent and reserved', () => {
      const exhausted: BudgetEvent = {
        type: 'BudgetExhausted',
        data: { ...scope, projectId, spentUsd: '0.6', reservedUsd: '0.3', hardUsd: '1', refusedAmountUsd: '0.2', exhaustedAt: now },
      };
      const before = [set(null, '1'), reserved('r1', '0.6'), settled('r1', '0.6'), reserved('r2', '0.3')];
      given(...before).when(reserve('r3', '0.2')).then([exhausted]);
      given(...before, exhausted)
        .when(reserve('r3', '0.2'))
        .thenFails('BUDGET_EXHAUSTED', new RegExp(`^project budget ${projectId} \\(\\$1 hard limit\\) is exhausted: \\$0.6 spent and \\$0.3 reserved`));
      expect(view(...before, exhausted)).toMatchObject({ exhausted: true, spentUsd: '0.6', reservedUsd: '0.3' });
    });

    it('an estimate exactly at the limit fits', () => {
      given(set(null, '1')).when(reserve('r1', '1')).then([reserved('r1', '1')]);
    });

    it('counts no reservation that expired unsettled, and releases it', () => {
      const at = later(RESERVATION_TTL_MS + 1);
      given(set(null, '1'), reserved('r1', '0.9'))
        .when(reserve('r2', '0.5', at))
        .then([
          { type: 'BudgetReleased', data: { ...scope, reservationId: 'r1', reason: 'expired: never settled', releasedAt: at } },
          reserved('r2', '0.5', at),
        ]);
    });

    it('raising the limit lets a refused reservation through', () => {
      const exhausted = budgetDecider.decide(reserve('r2', '0.5'), [set(null, '1'), reserved('r1', '0.9'), settled('r1', '0.9')].reduce(budgetDecider.evolve, budgetDecider.initialState));
      expect(exhausted.map((e) => e.type)).toEqual(['BudgetExhausted']);
      given(set(null, '1'), reserved('r1', '0.9'), settled('r1', '0.9'), ...exhausted, set(null, '2')).when(reserve('r2', '0.5')).then([reserved('r2', '0.5')]);
    });
  });

  describe('Settle and Release', () => {
    it("the call's real cost replaces its estimate", () => {
      given(set(null, '1'), reserved('r1', '0.9')).when(settle('r1', '0.05')).then([settled('r1', '0.05')]);
      expect(view(set(null, '1'), reserved('r1', '0.9'), settled('r1', '0.05'))).toMatchObject({ spentUsd: '0.05', reservedUsd: '0' });
    });

    it('a settlement delivered twice counts once', () => {
      given(set(null, '1'), reserved('r1', '0.9'), settled('r1', '0.05')).when(settle('r1', '0.05')).then([]);
    });

    it('settles a call made without a reservation too (the budget was set during it)', () => {
      given(set(null, '1')).when(settle('r9', '0.2')).then([settled('r9', '0.2')]);
    });

    it('releases an open reservation, and nothing else', () => {
      const release = (id: string): BudgetCommand => ({ type: 'Release', data: { reservationId: id, reason: 'the call failed', now } });
      given(set(null, '1'), reserved('r1', '0.9')).when(release('r1')).then([{ type: 'BudgetReleased', data: { ...scope, reservationId: 'r1', reason: 'the call failed', releasedAt: now } }]);
      given(set(null, '1'), reserved('r1', '0.9'), settled('r1', '0.1')).when(release('r1')).then([]);
    });
  });

  describe('soft threshold', () => {
    const warning = (spentUsd: string, softUsd: string): BudgetEvent => ({ type: 'BudgetWarningRaised', data: { ...scope, projectId, spentUsd, softUsd, raisedAt: now } });

    it('raises a warning once when spending crosses it', () => {
      given(set('0.1', null), reserved('r1', '1')).when(settle('r1', '0.1')).then([settled('r1', '0.1'), warning('0.1', '0.1')]);
      given(set('0.1', null), settled('r1', '0.1'), warning('0.1', '0.1')).when(settle('r2', '0.1')).then([settled('r2', '0.1')]);
    });

    it('raises it again after the threshold was raised above what is spent and crossed again', () => {
      given(set('0.1', null), settled('r1', '0.1'), warning('0.1', '0.1'), set('0.3', null), settled('r2', '0.1'))
        .when(settle('r3', '0.15'))
        .then([settled('r3', '0.15'), warning('0.35', '0.3')]);
    });
  });
});
