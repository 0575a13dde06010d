import {
  CreatePlanInput,
  GetDecisionInput,
  GetPlanInput,
  ListDecisionsInput,
  ListPlansInput,
  RecordDecisionInput,
  ReviseDecisionInput,
  RevisePlanInput,
  decisionStreamName,
  planStreamName,
  type DecisionEvent,
  type DecisionView,
  type PlanEvent,
  type PlanView,
} from '@autocoder/contracts';
import type { DecisionCommand } from './decision';
import { decisionDecider } from './decision';
import { DecisionRevisionRow, DecisionRow, PlanRevisionRow, PlanRow } from './document-row.entity';
import type { DocumentProjectionKind } from './documents-projection';
import type { DocumentKind } from './documents-service';
import { planDecider, type PlanCommand } from './plan';

export const planKind: DocumentKind<PlanCommand, PlanView> & DocumentProjectionKind<PlanEvent> = {
  noun: 'plan',
  idKey: 'planId',
  streamName: planStreamName,
  createInput: CreatePlanInput,
  reviseInput: RevisePlanInput,
  listInput: ListPlansInput,
  getInput: GetPlanInput,
  createCommand: (data) => ({ type: 'CreatePlan', data }),
  reviseCommand: (data) => ({ type: 'RevisePlan', data }),
  view: (planId, base) => ({ planId, ...base }),
  name: 'coordinator.plans',
  table: 'plans',
  revisionsTable: 'plan_revisions',
  Row: PlanRow,
  RevisionRow: PlanRevisionRow,
  handlers: {
    PlanCreated: (e, batch) => batch.fold(e.data.planId, e),
    PlanRevised: (e, batch) => batch.fold(e.data.planId, e),
  },
  idOf: (e) => e.data.planId,
  evolve: planDecider.evolve,
};

export const decisionKind: DocumentKind<DecisionCommand, DecisionView> & DocumentProjectionKind<DecisionEvent> = {
  noun: 'decision',
  idKey: 'decisionId',
  streamName: decisionStreamName,
  createInput: RecordDecisionInput,
  reviseInput: ReviseDecisionInput,
  listInput: ListDecisionsInput,
  getInput: GetDecisionInput,
  createCommand: (data) => ({ type: 'RecordDecision', data }),
  reviseCommand: (data) => ({ type: 'ReviseDecision', data }),
  view: (decisionId, base) => ({ decisionId, ...base }),
  name: 'coordinator.decisions',
  table: 'decisions',
  revisionsTable: 'decision_revisions',
  Row: DecisionRow,
  RevisionRow: DecisionRevisionRow,
  handlers: {
    DecisionRecorded: (e, batch) => batch.fold(e.data.decisionId, e),
    DecisionRevised: (e, batch) => batch.fold(e.data.decisionId, e),
  },
  idOf: (e) => e.data.decisionId,
  evolve: decisionDecider.evolve,
};
