import { z } from 'zod';
import { uuid } from '../validation';

export const DOCUMENT_TITLE_MAX_CHARS = 300;
/** Plan and decision bodies: Markdown of at most 200 KiB (UTF-8). */
export const DOCUMENT_BODY_MAX_BYTES = 200 * 1024;

const title = z
  .string({ message: 'must be a string' })
  .trim()
  .min(1, 'must not be empty')
  .max(DOCUMENT_TITLE_MAX_CHARS, `must be at most ${DOCUMENT_TITLE_MAX_CHARS} characters`);

const bodyMarkdown = z.string({ message: 'must be a string' }).superRefine((value, ctx) => {
  const size = Buffer.byteLength(value, 'utf8');
  if (size > DOCUMENT_BODY_MAX_BYTES) ctx.addIssue({ code: 'custom', message: `must be at most ${DOCUMENT_BODY_MAX_BYTES} bytes (200 KiB) of UTF-8, got ${size}` });
});

const expectedRevision = z.number({ message: 'must be a whole number' }).int('must be a whole number').min(1, 'must be at least 1');


export const CreatePlanInput = z.strictObject({ projectId: uuid(), title, bodyMarkdown });
export type CreatePlanInput = z.infer<typeof CreatePlanInput>;

/** A revision gives a new title, a new body or both (checked by the service). */
export const RevisePlanInput = z.strictObject({
  planId: uuid(),
  title: title.optional(),
  bodyMarkdown: bodyMarkdown.optional(),
  /** The revision the change was made on: refused when the plan has moved on since. */
  expectedRevision: expectedRevision.optional(),
});
export type RevisePlanInput = z.infer<typeof RevisePlanInput>;

export const ListPlansInput = z.strictObject({ projectId: uuid() });
export const GetPlanInput = z.strictObject({ planId: uuid() });

export const RecordDecisionInput = z.strictObject({ projectId: uuid(), title, bodyMarkdown });
export type RecordDecisionInput = z.infer<typeof RecordDecisionInput>;

export const ReviseDecisionInput = z.strictObject({
  decisionId: uuid(),
  title: title.optional(),
  bodyMarkdown: bodyMarkdown.optional(),
  expectedRevision: expectedRevision.optional(),
});
export type ReviseDecisionInput = z.infer<typeof ReviseDecisionInput>;

export const ListDecisionsInput = z.strictObject({ projectId: uuid() });
export const GetDecisionInput = z.strictObject({ decisionId: uuid() });

/** One kept revision of a plan or decision; revision 1 is the first version. */
export interface DocumentRevisionView {
  revision: number;
  title: string;
  bodyMarkdown: string;
  /** Actor label: `admin` or `agent:<agentId>`. */
  author: string;
  authorEmployeeId: string | null;
  /** ISO 8601, UTC. */
  at: string;
}

interface DocumentView {
  projectId: string;
  title: string;
  bodyMarkdown: string;
  /** Number of the current revision (1 after creation). */
  revision: number;
  createdBy: string;
  createdAt: string;
  updatedBy: string;
  updatedAt: string;
  /** Every revision, oldest first: present when one plan or decision is read, absent in lists. */
  revisions?: DocumentRevisionView[];
}

export interface PlanView extends DocumentView {
  planId: string;
}

export interface DecisionView extends DocumentView {
  decisionId: string;
}
