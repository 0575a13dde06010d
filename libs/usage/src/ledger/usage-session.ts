import type { CallNotPriced, CallPriced, CallRecosted, UsageSessionEvent } from '@autocoder/contracts';
import type { Decider } from '@autocoder/eventstore';

/** What the session's ledger knows of each call: enough to recost it and to explain its price. */
export interface LedgerCall {
  priceVersion: number;
  costUsd: string;
  total: string;
  unknownModel: boolean;
}

export interface UsageSessionState {
  calls: ReadonlyMap<string, LedgerCall>;
  /** Calls recorded as not priceable. */
  unpriced: ReadonlySet<string>;
}

export type UsageSessionCommand =
  | { type: 'PriceCall'; data: CallPriced['data'] }
  | { type: 'RejectCall'; data: CallNotPriced['data'] }
  | { type: 'RecostCall'; data: Omit<CallRecosted['data'], 'fromVersion' | 'previousCostUsd'> };

/**
 * A session's priced ledger (stream `usage-session-<sessionId>`). Each model call is priced once:
 * pricing a call again (a replay after a crash) decides nothing. A recost records the new price only
 * when it differs from the call's current one (a call whose price did not change keeps its version),
 * and names the version and the price it replaces.
 */
export const usageSessionDecider: Decider<UsageSessionCommand, UsageSessionEvent, UsageSessionState> = {
  initialState: { calls: new Map(), unpriced: new Set() },
  decide(command, state) {
    switch (command.type) {
      case 'PriceCall':
        if (state.calls.has(command.data.callId) || state.unpriced.has(command.data.callId)) return [];
        return [{ type: 'CallPriced', data: command.data }];
      case 'RejectCall':
        if (state.calls.has(command.data.callId) || state.unpriced.has(command.data.callId)) return [];
        return [{ type: 'CallNotPriced', data: command.data }];
      case 'RecostCall': {
        const call = state.calls.get(command.data.callId);
        if (!call) return [];
        // The same price (and the same flag) under the new version changes no answer: nothing to record.
        if (call.total === command.data.costs.total && call.unknownModel === command.data.unknownModel) return [];
        return [{ type: 'CallRecosted', data: { ...command.data, fromVersion: call.priceVersion, previousCostUsd: call.costUsd } }];
      }
    }
  },
  evolve(state, event) {
    switch (event.type) {
      case 'CallPriced':
        return {
          ...state,
          calls: new Map(state.calls).set(event.data.callId, { priceVersion: event.data.priceVersion, costUsd: event.data.costUsd, total: event.data.costs.total, unknownModel: event.data.unknownModel }),
        };
      case 'CallRecosted':
        return {
          ...state,
          calls: new Map(state.calls).set(event.data.callId, { priceVersion: event.data.toVersion, costUsd: event.data.costUsd, total: event.data.costs.total, unknownModel: event.data.unknownModel }),
        };
      case 'CallNotPriced':
        return { ...state, unpriced: new Set(state.unpriced).add(event.data.callId) };
    }
  },
};
