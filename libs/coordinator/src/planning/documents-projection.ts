import type { RecordedEvent } from '@autocoder/eventstore';
import type { Projection } from '@autocoder/projections';
import { In, type EntityManager } from 'typeorm';
import type { DocumentState, ExistingDocument } from './document';
import type { DocumentRevisionRow, DocumentRow } from './document-row.entity';
import { documentRowOfState, documentStateOfRow, revisionRowOfState } from './document-view';

/** What the projection needs to know about one kind of document (plans, decisions). */
export interface DocumentProjectionKind {
  /** Projection (checkpoint) name, e.g. `coordinator.plans`. */
  name: string;
  table: string;
  revisionsTable: string;
  Row: new () => DocumentRow;
  RevisionRow: new () => DocumentRevisionRow;
  eventTypes: ReadonlySet<string>;
  idOf(data: unknown): string;
  evolve(state: DocumentState, event: { type: string; data: unknown }): DocumentState;
}

/**
 * Plans or decisions as they stand (one row each) and every revision they went through (one row
 * per event). Rows are folded with the decider's own `evolve`, and each revision row is the state
 * right after its event, so a rebuild from event zero writes the same rows.
 */
export class DocumentsProjection implements Projection<ExistingDocument> {
  readonly name: string;
  readonly tables: string[];

  constructor(
    private readonly kind: DocumentProjectionKind,
    schema: string,
  ) {
    this.name = kind.name;
    this.tables = [`${schema}.${kind.revisionsTable}`, `${schema}.${kind.table}`];
  }

  async apply(events: RecordedEvent[], tx: EntityManager): Promise<ExistingDocument[]> {
    const { Row, RevisionRow, eventTypes, idOf, evolve } = this.kind;
    const ours = events.filter((e) => eventTypes.has(e.type));
    if (ours.length === 0) return [];
    const rows = tx.getRepository(Row);
    const ids = [...new Set(ours.map((e) => idOf(e.data)))];
    const states = new Map<string, DocumentState>();
    for (const row of await rows.findBy({ id: In(ids) })) states.set(row.id, documentStateOfRow(row));
    const revisions: DocumentRevisionRow[] = [];
    for (const event of ours) {
      const id = idOf(event.data);
      const next = evolve(states.get(id) ?? { exists: false }, { type: event.type, data: event.data });
      states.set(id, next);
      if (next.exists) revisions.push(revisionRowOfState(RevisionRow, next));
    }
    const changed = [...states.values()].filter((s): s is ExistingDocument => s.exists);
    await rows.save(changed.map((s) => documentRowOfState(Row, s)));
    if (revisions.length) await tx.getRepository(RevisionRow).upsert(revisions, ['id', 'revision']);
    return changed;
  }
}
