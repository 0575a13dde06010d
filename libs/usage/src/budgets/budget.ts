import { AutocoderError, ErrorCodes, fail, type BudgetEvent, type BudgetScope, type BudgetView } from '@autocoder/contracts';
import type { Decider } from '@autocoder/eventstore';
import { picoToUsd, usdToPico } from '../money';

/**
 * A reservation nobody settled or released (the call was aborted, the runner died for good) stops
 * counting this long after it was made: longer than any model call may take (the SDK gives up on a
 * call after 10 minutes), so a live call's estimate is never dropped.
 */
export const RESERVATION_TTL_MS = 15 * 60_000;

/** Settled reservation ids remembered, so a settlement delivered twice is counted once. */
const RECENT_SETTLED = 256;

export type BudgetCommand =
  | {
      type: 'SetBudget';
      data: {
        scope: BudgetScope;
        scopeId: string;
        projectId: string;
        /** undefined keeps the current value, null removes it. */
        softUsd?: string | null;
        hardUsd?: string | null;
        setBy: string;
        now: string;
      };
    }
  | { type: 'Reserve'; data: { reservationId: string; sessionId: string; turn: number; amountPico: bigint; now: string } }
  | { type: 'Settle'; data: { reservationId: string; sessionId: string; turn: number; costPico: bigint; now: string } }
  | { type: 'Release'; data: { reservationId: string; reason: string; now: string } };

export interface OpenReservation {
  amountPico: bigint;
  sessionId: string;
  turn: number;
  reservedAt: string;
}

export type BudgetState =
  | { exists: false }
  | {
      exists: true;
      scope: BudgetScope;
      scopeId: string;
      projectId: string;
      softPico: bigint | null;
      hardPico: bigint | null;
      spentPico: bigint;
      open: Readonly<Record<string, OpenReservation>>;
      /** The soft threshold was crossed (and not raised above what is spent since). */
      warned: boolean;
      /** The last reservation was refused by the hard limit (until one is taken again or the budget is set). */
      exhausted: boolean;
      recentSettled: readonly string[];
    };

export type ExistingBudget = Extract<BudgetState, { exists: true }>;

export const initialBudgetState: BudgetState = { exists: false };

const reservedOf = (budget: ExistingBudget, now?: string): bigint =>
  Object.values(budget.open)
    .filter((r) => now === undefined || !isExpired(r, now))
    .reduce((sum, r) => sum + r.amountPico, 0n);

const isExpired = (r: OpenReservation, now: string) => Date.parse(r.reservedAt) + RESERVATION_TTL_MS < Date.parse(now);

const usd = (pico: bigint | null) => (pico === null ? null : picoToUsd(pico));

/** "project budget <id> ($5 hard limit)": how a refusal and a paused run name the budget. */
export const budgetLabel = (budget: { scope: BudgetScope; scopeId: string; hardPico: bigint | null }) =>
  `${budget.scope} budget ${budget.scopeId} ($${usd(budget.hardPico) ?? 'no'} hard limit)`;

export const budgetViewOf = (budget: ExistingBudget): BudgetView => ({
  scope: budget.scope,
  scopeId: budget.scopeId,
  projectId: budget.projectId,
  softUsd: usd(budget.softPico),
  hardUsd: usd(budget.hardPico),
  spentUsd: picoToUsd(budget.spentPico),
  reservedUsd: picoToUsd(reservedOf(budget)),
  warned: budget.warned,
  exhausted: budget.exhausted,
});

/** A dollar amount as stored: validated here too, so no caller can store a negative or non-numeric limit. */
function amountOf(field: 'softUsd' | 'hardUsd', value: unknown): bigint | null | undefined {
  if (value === undefined || value === null) return value;
  if (typeof value !== 'string' || !/^\d+(\.\d{1,12})?$/.test(value.trim())) {
    throw new AutocoderError(ErrorCodes.ValidationFailed, `invalid budget: ${field}: must be a number of dollars, 0 or more, with at most 12 decimals (got ${JSON.stringify(value)})`, [
      { path: field, message: 'must be a number of dollars, 0 or more' },
    ]);
  }
  return usdToPico(value);
}

export function decideBudget(command: BudgetCommand, state: BudgetState): BudgetEvent[] {
  switch (command.type) {
    case 'SetBudget': {
      const c = command.data;
      const soft = amountOf('softUsd', c.softUsd);
      const hard = amountOf('hardUsd', c.hardUsd);
      const softPico = soft === undefined ? (state.exists ? state.softPico : null) : soft;
      const hardPico = hard === undefined ? (state.exists ? state.hardPico : null) : hard;
      if (softPico !== null && hardPico !== null && softPico > hardPico) {
        fail(ErrorCodes.ValidationFailed, `invalid budget: softUsd: the soft threshold ($${picoToUsd(softPico)}) must not be above the hard limit ($${picoToUsd(hardPico)})`, [
          { path: 'softUsd', message: 'must not be above hardUsd' },
        ]);
      }
      if (state.exists && state.softPico === softPico && state.hardPico === hardPico) return [];
      return [
        {
          type: 'BudgetSet',
          data: { scope: c.scope, scopeId: c.scopeId, projectId: c.projectId, softUsd: usd(softPico), hardUsd: usd(hardPico), setBy: c.setBy, setAt: c.now },
        },
      ];
    }
    case 'Reserve': {
      if (!state.exists) return [];
      const c = command.data;
      if (state.open[c.reservationId]) return []; // a retried reserve: the same reservation
      const { scope, scopeId } = state;
      const expired: BudgetEvent[] = Object.entries(state.open)
        .filter(([, r]) => isExpired(r, c.now))
        .map(([reservationId]) => ({ type: 'BudgetReleased', data: { scope, scopeId, reservationId, reason: 'expired: never settled', releasedAt: c.now } }));
      const reserved = reservedOf(state, c.now);
      if (state.hardPico !== null && state.spentPico + reserved + c.amountPico > state.hardPico) {
        if (state.exhausted) throw exhaustedError(state, reserved, c.amountPico);
        return [
          {
            type: 'BudgetExhausted',
            data: {
              scope,
              scopeId,
              projectId: state.projectId,
              spentUsd: picoToUsd(state.spentPico),
              reservedUsd: picoToUsd(reserved),
              hardUsd: picoToUsd(state.hardPico),
              refusedAmountUsd: picoToUsd(c.amountPico),
              exhaustedAt: c.now,
            },
          },
        ];
      }
      return [
        ...expired,
        { type: 'BudgetReserved', data: { scope, scopeId, reservationId: c.reservationId, sessionId: c.sessionId, turn: c.turn, amountPico: c.amountPico.toString(), reservedAt: c.now } },
      ];
    }
    case 'Settle': {
      if (!state.exists) return [];
      const c = command.data;
      if (state.recentSettled.includes(c.reservationId)) return [];
      const { scope, scopeId } = state;
      const events: BudgetEvent[] = [
        { type: 'BudgetSettled', data: { scope, scopeId, reservationId: c.reservationId, sessionId: c.sessionId, turn: c.turn, costPico: c.costPico.toString(), settledAt: c.now } },
      ];
      const spent = state.spentPico + c.costPico;
      if (state.softPico !== null && !state.warned && spent >= state.softPico) {
        events.push({ type: 'BudgetWarningRaised', data: { scope, scopeId, projectId: state.projectId, spentUsd: picoToUsd(spent), softUsd: picoToUsd(state.softPico), raisedAt: c.now } });
      }
      return events;
    }
    case 'Release': {
      if (!state.exists || !state.open[command.data.reservationId]) return [];
      const { scope, scopeId } = state;
      const { reservationId, reason, now } = command.data;
      return [{ type: 'BudgetReleased', data: { scope, scopeId, reservationId, reason, releasedAt: now } }];
    }
  }
}

/** The refusal a reservation gets: it names the budget, its limit, what is spent and what is reserved. */
export function exhaustedError(budget: ExistingBudget, reservedPico: bigint, amountPico: bigint): AutocoderError {
  const label = budgetLabel(budget);
  return new AutocoderError(
    ErrorCodes.BudgetExhausted,
    `${label} is exhausted: $${picoToUsd(budget.spentPico)} spent and $${picoToUsd(reservedPico)} reserved of its $${picoToUsd(budget.hardPico ?? 0n)} hard limit; this call's estimate of $${picoToUsd(amountPico)} would pass it`,
    [{ path: 'budget', message: label }],
  );
}

const withoutOpen = (open: Readonly<Record<string, OpenReservation>>, id: string) => {
  const { [id]: _gone, ...rest } = open;
  return rest;
};

export function evolveBudget(state: BudgetState, event: BudgetEvent): BudgetState {
  switch (event.type) {
    case 'BudgetSet': {
      const d = event.data;
      const softPico = d.softUsd === null ? null : usdToPico(d.softUsd);
      const hardPico = d.hardUsd === null ? null : usdToPico(d.hardUsd);
      const base = state.exists ? state : { spentPico: 0n, open: {}, warned: false, recentSettled: [] as string[] };
      // A threshold raised above what is spent can be crossed (and warned about) again.
      const warned = base.warned && softPico !== null && base.spentPico >= softPico;
      return { ...base, exists: true, scope: d.scope, scopeId: d.scopeId, projectId: d.projectId, softPico, hardPico, warned, exhausted: false };
    }
    case 'BudgetReserved': {
      if (!state.exists) return state;
      const d = event.data;
      return { ...state, exhausted: false, open: { ...state.open, [d.reservationId]: { amountPico: BigInt(d.amountPico), sessionId: d.sessionId, turn: d.turn, reservedAt: d.reservedAt } } };
    }
    case 'BudgetSettled': {
      if (!state.exists) return state;
      const d = event.data;
      return {
        ...state,
        spentPico: state.spentPico + BigInt(d.costPico),
        open: withoutOpen(state.open, d.reservationId),
        recentSettled: [...state.recentSettled, d.reservationId].slice(-RECENT_SETTLED),
      };
    }
    case 'BudgetReleased':
      return state.exists ? { ...state, open: withoutOpen(state.open, event.data.reservationId) } : state;
    case 'BudgetWarningRaised':
      return state.exists ? { ...state, warned: true } : state;
    case 'BudgetExhausted':
      return state.exists ? { ...state, exhausted: true } : state;
  }
}

export const budgetDecider: Decider<BudgetCommand, BudgetEvent, BudgetState> = { decide: decideBudget, evolve: evolveBudget, initialState: initialBudgetState };

/** Reserved amount that still counts at `now` (expired reservations do not). */
export const liveReservedPico = reservedOf;
