import type { DecisionEvent } from '@autocoder/contracts';
import type { Decider } from '@autocoder/eventstore';
import { createdDocument, initialDocumentState, nextRevision, revisedDocument, type CreateDocumentData, type DocumentState, type ReviseDocumentData } from './document';

export type DecisionCommand = { type: 'RecordDecision'; data: CreateDocumentData } | { type: 'ReviseDecision'; data: ReviseDocumentData };
export type DecisionState = DocumentState;

export function decideDecision(command: DecisionCommand, state: DecisionState): DecisionEvent[] {
  switch (command.type) {
    case 'RecordDecision': {
      const { id, projectId, title, bodyMarkdown, author, authorEmployeeId, now } = command.data;
      if (state.exists) return []; // a retried record: the id follows from the command id
      return [{ type: 'DecisionRecorded', data: { decisionId: id, projectId, title, bodyMarkdown, author, authorEmployeeId, recordedAt: now } }];
    }
    case 'ReviseDecision': {
      const { id, author, authorEmployeeId, now } = command.data;
      const next = nextRevision('decision', state, command.data);
      return next ? [{ type: 'DecisionRevised', data: { decisionId: id, ...next, author, authorEmployeeId, revisedAt: now } }] : [];
    }
  }
}

export function evolveDecision(state: DecisionState, event: DecisionEvent): DecisionState {
  switch (event.type) {
    case 'DecisionRecorded':
      return createdDocument({ ...event.data, id: event.data.decisionId, at: event.data.recordedAt });
    case 'DecisionRevised':
      return revisedDocument(state, { ...event.data, at: event.data.revisedAt });
  }
}

export const decisionDecider: Decider<DecisionCommand, DecisionEvent, DecisionState> = {
  decide: decideDecision,
  evolve: evolveDecision,
  initialState: initialDocumentState,
};
