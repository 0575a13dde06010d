import { HandlerProjection, type DomainEvent, type EventHandlers, type Recorded } from '@autocoder/projections';
import { In, type EntityManager } from 'typeorm';
import type { DocumentState, ExistingDocument } from './document';
import type { DocumentRevisionRow, DocumentRow } from './document-row.entity';
import { documentRowOfState, documentStateOfRow, revisionRowOfState } from './document-view';

/** The documents one batch touches, folded event by event, and a revision row per event. */
export class DocumentsBatch<E extends DomainEvent> {
  readonly states = new Map<string, DocumentState>();
  readonly revisions: DocumentRevisionRow[] = [];

  constructor(
    private readonly evolve: (state: DocumentState, event: E) => DocumentState,
    private readonly RevisionRow: new () => DocumentRevisionRow,
  ) {}

  fold(id: string, event: Recorded<E>) {
    const next = this.evolve(this.states.get(id) ?? { exists: false }, { type: event.type, data: event.data } as E);
    this.states.set(id, next);
    if (next.exists) this.revisions.push(revisionRowOfState(this.RevisionRow, next));
  }
}

/** What the projection needs to know about one kind of document (plans, decisions). */
export interface DocumentProjectionKind<E extends DomainEvent> {
  /** Projection (checkpoint) name, e.g. `coordinator.plans`. */
  name: string;
  table: string;
  revisionsTable: string;
  Row: new () => DocumentRow;
  RevisionRow: new () => DocumentRevisionRow;
  /** One handler per event of the kind's union. */
  handlers: EventHandlers<E, DocumentsBatch<E>>;
  /** The document an event belongs to, to load the batch's rows in one query. */
  idOf(event: Recorded<E>): string;
  evolve(state: DocumentState, event: E): DocumentState;
}

/**
 * Plans or decisions as they stand (one row each) and every revision they went through (one row
 * per event). Rows are folded with the decider's own `evolve`, and each revision row is the state
 * right after its event, so a rebuild from event zero writes the same rows.
 */
export class DocumentsProjection<E extends DomainEvent> extends HandlerProjection<E, DocumentsBatch<E>, ExistingDocument> {
  readonly name: string;
  readonly tables: string[];
  protected readonly handlers: EventHandlers<E, DocumentsBatch<E>>;

  constructor(
    private readonly kind: DocumentProjectionKind<E>,
    schema: string,
  ) {
    super();
    this.name = kind.name;
    this.handlers = kind.handlers;
    this.tables = [`${schema}.${kind.revisionsTable}`, `${schema}.${kind.table}`];
  }

  protected async begin(events: Recorded<E>[], tx: EntityManager): Promise<DocumentsBatch<E>> {
    const batch = new DocumentsBatch<E>(this.kind.evolve, this.kind.RevisionRow);
    const ids = [...new Set(events.map((e) => this.kind.idOf(e)))];
    for (const row of await tx.getRepository(this.kind.Row).findBy({ id: In(ids) })) batch.states.set(row.id, documentStateOfRow(row));
    return batch;
  }

  protected async finish(batch: DocumentsBatch<E>, tx: EntityManager): Promise<ExistingDocument[]> {
    const changed = [...batch.states.values()].filter((s): s is ExistingDocument => s.exists);
    await tx.getRepository(this.kind.Row).save(changed.map((s) => documentRowOfState(this.kind.Row, s)));
    if (batch.revisions.length) await tx.getRepository(this.kind.RevisionRow).upsert(batch.revisions, ['id', 'revision']);
    return changed;
  }
}
