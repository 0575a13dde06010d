import { AutocoderError, ErrorCodes } from '@autocoder/contracts';

/**
 * What plans and decisions share: a titled Markdown body in a project, revised over time, each
 * revision numbered (1 is the first version) and kept with its author and time.
 */
export interface Authorship {
  /** Actor label: `admin` or `agent:<agentId>`. */
  author: string;
  authorEmployeeId: string | null;
}

export type CreateDocumentData = Authorship & { id: string; projectId: string; title: string; bodyMarkdown: string; now: string };

export type ReviseDocumentData = Authorship & {
  id: string;
  /** Null keeps the current one. */
  title: string | null;
  bodyMarkdown: string | null;
  /** The revision the change was made on; null accepts any. */
  expectedRevision: number | null;
  now: string;
};

export type DocumentState =
  | { exists: false }
  | {
      exists: true;
      id: string;
      projectId: string;
      title: string;
      bodyMarkdown: string;
      revision: number;
      createdBy: string;
      createdByEmployeeId: string | null;
      createdAt: string;
      updatedBy: string;
      updatedByEmployeeId: string | null;
      updatedAt: string;
    };

export type ExistingDocument = Extract<DocumentState, { exists: true }>;

export const initialDocumentState: DocumentState = { exists: false };

/**
 * The revision a change makes, or null when it changes nothing (the current revision stands).
 * Refused when the document does not exist or moved on from the revision the change was made on.
 */
export function nextRevision(noun: string, state: DocumentState, change: ReviseDocumentData): { revision: number; title: string; bodyMarkdown: string } | null {
  if (!state.exists) throw new AutocoderError(ErrorCodes.NotFound, `${noun} ${change.id} does not exist`);
  if (change.expectedRevision !== null && change.expectedRevision !== state.revision) {
    throw new AutocoderError(
      ErrorCodes.Conflict,
      `${noun} ${change.id} is at revision ${state.revision}, not ${change.expectedRevision}: it was revised since; read it again and re-apply the change`,
    );
  }
  const title = change.title ?? state.title;
  const bodyMarkdown = change.bodyMarkdown ?? state.bodyMarkdown;
  if (title === state.title && bodyMarkdown === state.bodyMarkdown) return null;
  return { revision: state.revision + 1, title, bodyMarkdown };
}

export const createdDocument = (d: Authorship & { id: string; projectId: string; title: string; bodyMarkdown: string; at: string }): ExistingDocument => ({
  exists: true,
  id: d.id,
  projectId: d.projectId,
  title: d.title,
  bodyMarkdown: d.bodyMarkdown,
  revision: 1,
  createdBy: d.author,
  createdByEmployeeId: d.authorEmployeeId,
  createdAt: d.at,
  updatedBy: d.author,
  updatedByEmployeeId: d.authorEmployeeId,
  updatedAt: d.at,
});

export const revisedDocument = (state: DocumentState, d: Authorship & { revision: number; title: string; bodyMarkdown: string; at: string }): DocumentState =>
  state.exists
    ? { ...state, revision: d.revision, title: d.title, bodyMarkdown: d.bodyMarkdown, updatedBy: d.author, updatedByEmployeeId: d.authorEmployeeId, updatedAt: d.at }
    : state;
