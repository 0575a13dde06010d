import { Subjects, budgetStreamName, isAutocoderError, type BudgetEvent, type LedgerEvent, type RunView, type SessionEvent } from '@autocoder/contracts';
import type { EventStore } from '@autocoder/eventstore';
import type { MessageBus } from '@autocoder/messaging';
import type { Logger } from '@autocoder/platform';
import type { Projector } from '@autocoder/projections';
import { Reactor } from '@autocoder/reactors';
import type { Pool } from 'pg';
import { liveReservedPico, type ExistingBudget } from './budget';
import { scopesOf, type BudgetStore } from './budgets-service';
import { reservationIdOf } from './reservation-id';

export interface BudgetReactorDeps {
  store: EventStore;
  pool: Pool;
  schema: string;
  logger: Logger;
  bus: MessageBus;
  budgets: BudgetStore;
  /** The paused-runs read model: caught up before a raised budget looks for runs to resume. */
  pausedRuns: Projector<unknown>;
}

/**
 * Settles each priced call on the budgets it belongs to, from the ledger's CallPriced events (so a
 * runner that dies after its call still settles, and spent is what the ledger says), and gives back
 * the estimate of a call that failed (ModelCallFailed). A call aborted without either expires.
 */
export function budgetSettlementReactor(deps: BudgetReactorDeps) {
  const { budgets } = deps;
  const applying = async (call: { projectId: string; runId: string; featureId: string | null }) => {
    const scopes = scopesOf(call);
    const loaded = await Promise.all(scopes.map(([scope, id]) => budgets.load(budgetStreamName(scope, id))));
    return scopes.filter((_, i) => loaded[i].state.exists);
  };
  return new Reactor<LedgerEvent | SessionEvent>({
    name: 'usage.budget-settlement',
    store: deps.store,
    pool: deps.pool,
    schema: deps.schema,
    logger: deps.logger,
    reactions: {
      CallPriced: async (event, context) => {
        const d = event.data;
        const reservationId = reservationIdOf(d.sessionId, d.turn);
        for (const [scope, scopeId] of await applying(d)) {
          await budgets.handle(
            budgetStreamName(scope, scopeId),
            { type: 'Settle', data: { reservationId, sessionId: d.sessionId, turn: d.turn, costPico: BigInt(d.costs.total), now: new Date().toISOString() } },
            { commandId: context.effectId(`settle/${scope}/${scopeId}`), correlationId: event.metadata.correlationId, causationId: event.id, actor: 'system:usage', time: new Date().toISOString() },
          );
        }
      },
      ModelCallFailed: async (event, context) => {
        const d = event.data;
        const reservationId = reservationIdOf(d.sessionId, d.turn);
        for (const [scope, scopeId] of await applying(d)) {
          await budgets.handle(
            budgetStreamName(scope, scopeId),
            { type: 'Release', data: { reservationId, reason: `the call failed: ${d.code}`, now: new Date().toISOString() } },
            { commandId: context.effectId(`release/${scope}/${scopeId}`), correlationId: event.metadata.correlationId, causationId: event.id, actor: 'system:usage', time: new Date().toISOString() },
          );
        }
      },
    },
  });
}

/**
 * A budget set with room under its hard limit (or none) resumes the runs paused because it was
 * exhausted, through the runner's own resume command (as the system; its id follows from the event,
 * so a repeated reaction is answered once by the runner's command log).
 */
export function budgetResumeReactor(deps: BudgetReactorDeps) {
  const { budgets, bus, pool, schema, logger } = deps;
  return new Reactor<BudgetEvent>({
    name: 'usage.budget-resume',
    store: deps.store,
    pool,
    schema,
    logger,
    reactions: {
      BudgetSet: async (event, context) => {
        const d = event.data;
        const { state } = await budgets.load(budgetStreamName(d.scope, d.scopeId));
        const budget = state as ExistingBudget;
        if (budget.hardPico !== null && budget.spentPico + liveReservedPico(budget, new Date().toISOString()) >= budget.hardPico) return;
        // A run paused just before this budget was raised is in the read model once it caught up.
        const head = await deps.store.headPosition({ types: ['RunPaused'] });
        if (head !== null) await deps.pausedRuns.waitFor(head, 10_000).catch(() => undefined);
        const { rows } = await pool.query<{ run_id: string }>(`SELECT run_id FROM ${schema}.budget_paused_runs WHERE scope = $1 AND scope_id = $2`, [d.scope, d.scopeId]);
        for (const { run_id: runId } of rows) {
          try {
            const run = await bus.request<Pick<RunView, 'status'>>(Subjects.runner.resumeRun, context.envelope({ runId }, `resume/${runId}`));
            logger.info({ runId, budget: `${d.scope}/${d.scopeId}`, status: run.status }, 'run resumed: its budget was raised');
          } catch (error) {
            // The run ended or is gone meanwhile: nothing to resume.
            if (isAutocoderError(error, 'INVALID_TRANSITION') || isAutocoderError(error, 'NOT_FOUND')) continue;
            throw error;
          }
        }
      },
    },
  });
}
