import type { DocumentRevisionView } from '@autocoder/contracts';
import type { ExistingDocument } from './document';
import type { DocumentRevisionRow, DocumentRow } from './document-row.entity';

/** A plan or decision view without its id key (`planId` or `decisionId`, added by its kind). */
export interface DocumentBaseView {
  projectId: string;
  title: string;
  bodyMarkdown: string;
  revision: number;
  createdBy: string;
  createdAt: string;
  updatedBy: string;
  updatedAt: string;
  revisions?: DocumentRevisionView[];
}

export const documentRowOfState = <R extends DocumentRow>(Row: new () => R, s: ExistingDocument): R =>
  Object.assign(new Row(), {
    id: s.id,
    projectId: s.projectId,
    title: s.title,
    bodyMarkdown: s.bodyMarkdown,
    revision: s.revision,
    createdBy: s.createdBy,
    createdByEmployeeId: s.createdByEmployeeId,
    createdAt: new Date(s.createdAt),
    updatedBy: s.updatedBy,
    updatedByEmployeeId: s.updatedByEmployeeId,
    updatedAt: new Date(s.updatedAt),
  });

export const documentStateOfRow = (row: DocumentRow): ExistingDocument => ({
  exists: true,
  id: row.id,
  projectId: row.projectId,
  title: row.title,
  bodyMarkdown: row.bodyMarkdown,
  revision: row.revision,
  createdBy: row.createdBy,
  createdByEmployeeId: row.createdByEmployeeId,
  createdAt: row.createdAt.toISOString(),
  updatedBy: row.updatedBy,
  updatedByEmployeeId: row.updatedByEmployeeId,
  updatedAt: row.updatedAt.toISOString(),
});

/** The revision a state's last event made: its number, content, author and time. */
export const revisionRowOfState = <R extends DocumentRevisionRow>(RevisionRow: new () => R, s: ExistingDocument): R =>
  Object.assign(new RevisionRow(), {
    id: s.id,
    revision: s.revision,
    title: s.title,
    bodyMarkdown: s.bodyMarkdown,
    author: s.updatedBy,
    authorEmployeeId: s.updatedByEmployeeId,
    revisedAt: new Date(s.updatedAt),
  });

export const documentViewOfState = (s: ExistingDocument): DocumentBaseView => ({
  projectId: s.projectId,
  title: s.title,
  bodyMarkdown: s.bodyMarkdown,
  revision: s.revision,
  createdBy: s.createdBy,
  createdAt: s.createdAt,
  updatedBy: s.updatedBy,
  updatedAt: s.updatedAt,
});

export const documentViewOfRow = (row: DocumentRow): DocumentBaseView => documentViewOfState(documentStateOfRow(row));

export const revisionViewOfRow = (row: DocumentRevisionRow): DocumentRevisionView => ({
  revision: row.revision,
  title: row.title,
  bodyMarkdown: row.bodyMarkdown,
  author: row.author,
  authorEmployeeId: row.authorEmployeeId,
  at: row.revisedAt.toISOString(),
});
