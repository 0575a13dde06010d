/**
 * Events of plans (stream `plan-<planId>`) and decisions (stream `decision-<decisionId>`), owned by
 * the coordinator. Each event is one revision and carries the whole title and body of that revision.
 */

/** Who wrote a revision: the actor label (`admin`, `agent:<agentId>`) and the agent's employee id. */
export interface RevisionAuthor {
  author: string;
  authorEmployeeId: string | null;
}

export type PlanCreated = {
  type: 'PlanCreated';
  data: RevisionAuthor & { planId: string; projectId: string; title: string; bodyMarkdown: string; createdAt: string };
};
export type PlanRevised = {
  type: 'PlanRevised';
  data: RevisionAuthor & { planId: string; revision: number; title: string; bodyMarkdown: string; revisedAt: string };
};
export type PlanEvent = PlanCreated | PlanRevised;

export type DecisionRecorded = {
  type: 'DecisionRecorded';
  data: RevisionAuthor & { decisionId: string; projectId: string; title: string; bodyMarkdown: string; recordedAt: string };
};
export type DecisionRevised = {
  type: 'DecisionRevised';
  data: RevisionAuthor & { decisionId: string; revision: number; title: string; bodyMarkdown: string; revisedAt: string };
};
export type DecisionEvent = DecisionRecorded | DecisionRevised;

export const planStreamName = (planId: string) => `plan-${planId}`;
export const decisionStreamName = (decisionId: string) => `decision-${decisionId}`;
