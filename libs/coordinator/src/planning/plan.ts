import type { PlanEvent } from '@autocoder/contracts';
import type { Decider } from '@autocoder/eventstore';
import { createdDocument, initialDocumentState, nextRevision, revisedDocument, type CreateDocumentData, type DocumentState, type ReviseDocumentData } from './document';

export type PlanCommand = { type: 'CreatePlan'; data: CreateDocumentData } | { type: 'RevisePlan'; data: ReviseDocumentData };
export type PlanState = DocumentState;

export function decidePlan(command: PlanCommand, state: PlanState): PlanEvent[] {
  switch (command.type) {
    case 'CreatePlan': {
      const { id, projectId, title, bodyMarkdown, author, authorEmployeeId, now } = command.data;
      if (state.exists) return []; // a retried create: the id follows from the command id
      return [{ type: 'PlanCreated', data: { planId: id, projectId, title, bodyMarkdown, author, authorEmployeeId, createdAt: now } }];
    }
    case 'RevisePlan': {
      const { id, author, authorEmployeeId, now } = command.data;
      const next = nextRevision('plan', state, command.data);
      return next ? [{ type: 'PlanRevised', data: { planId: id, ...next, author, authorEmployeeId, revisedAt: now } }] : [];
    }
  }
}

export function evolvePlan(state: PlanState, event: PlanEvent): PlanState {
  switch (event.type) {
    case 'PlanCreated':
      return createdDocument({ ...event.data, id: event.data.planId, at: event.data.createdAt });
    case 'PlanRevised':
      return revisedDocument(state, { ...event.data, at: event.data.revisedAt });
  }
}

export const planDecider: Decider<PlanCommand, PlanEvent, PlanState> = {
  decide: decidePlan,
  evolve: evolvePlan,
  initialState: initialDocumentState,
};
