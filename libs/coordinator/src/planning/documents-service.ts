import { AutocoderError, ErrorCodes, actorLabel, nameBasedUuid, parseInput, type CommandEnvelope, type QueryEnvelope } from '@autocoder/contracts';
import { contextOf, type AggregateStore } from '@autocoder/eventstore';
import type { CommandLog } from '@autocoder/messaging';
import type { Logger } from '@autocoder/platform';
import type { DataSource } from 'typeorm';
import type { z } from 'zod';
import { chatActor, type AwaitProjection } from '../chat';
import type { CreateDocumentData, DocumentState, ExistingDocument, ReviseDocumentData } from './document';
import type { DocumentRevisionRow, DocumentRow } from './document-row.entity';
import { documentViewOfRow, documentViewOfState, revisionViewOfRow, type DocumentBaseView } from './document-view';

type CreateInput = { projectId: string; title: string; bodyMarkdown: string };
type ReviseInput = { title?: string; bodyMarkdown?: string; expectedRevision?: number };

/** One kind of project document (plans, decisions): its names, schemas, commands and tables. */
export interface DocumentKind<Command, View> {
  noun: 'plan' | 'decision';
  /** `planId` or `decisionId`: the id's name in inputs and views. */
  idKey: string;
  streamName(id: string): string;
  createInput: z.ZodType<CreateInput>;
  reviseInput: z.ZodType<ReviseInput>;
  listInput: z.ZodType<{ projectId: string }>;
  getInput: z.ZodType<unknown>;
  createCommand(data: CreateDocumentData): Command;
  reviseCommand(data: ReviseDocumentData): Command;
  Row: new () => DocumentRow;
  RevisionRow: new () => DocumentRevisionRow;
  view(id: string, base: DocumentBaseView): View;
}

/**
 * Use cases of plans or decisions: create and revise on the document's own stream (its id follows
 * from the command id); list and read from the read model. Commands answer once the read model
 * holds their change, so the writer's next read shows it.
 */
export class DocumentsService<Command, Event extends { type: string; data: unknown }, View> {
  constructor(
    private readonly kind: DocumentKind<Command, View>,
    private readonly aggregates: AggregateStore<Command, Event, DocumentState>,
    private readonly commands: CommandLog,
    private readonly dataSource: DataSource,
    private readonly awaitProjection: AwaitProjection,
    private readonly logger: Logger,
  ) {}

  async create(subject: string, envelope: CommandEnvelope): Promise<View> {
    const { noun } = this.kind;
    const actor = chatActor(envelope.actor, `writing a ${noun}`);
    const input = parseInput(this.kind.createInput, envelope.payload, noun);
    return this.commands.run(subject, envelope, async () => {
      const id = nameBasedUuid(`${noun}/${envelope.commandId}`);
      const command = this.kind.createCommand({
        id,
        projectId: input.projectId,
        title: input.title,
        bodyMarkdown: input.bodyMarkdown,
        author: actorLabel(envelope.actor),
        authorEmployeeId: actor.kind === 'agent' ? actor.employeeId : null,
        now: new Date().toISOString(),
      });
      const view = await this.handle(id, command, envelope);
      this.logger.info({ [this.kind.idKey]: id, projectId: input.projectId }, `${noun} created`);
      return { value: view };
    });
  }

  async revise(subject: string, envelope: CommandEnvelope): Promise<View> {
    const { noun, idKey } = this.kind;
    const actor = chatActor(envelope.actor, `revising a ${noun}`);
    const input = parseInput(this.kind.reviseInput, envelope.payload, `${noun} revision`);
    const id = (input as Record<string, unknown>)[idKey] as string;
    if (input.title === undefined && input.bodyMarkdown === undefined) {
      throw new AutocoderError(ErrorCodes.ValidationFailed, `a ${noun} revision needs a new title, a new body or both`);
    }
    return this.commands.run(subject, envelope, async () => {
      const command = this.kind.reviseCommand({
        id,
        title: input.title ?? null,
        bodyMarkdown: input.bodyMarkdown ?? null,
        expectedRevision: input.expectedRevision ?? null,
        author: actorLabel(envelope.actor),
        authorEmployeeId: actor.kind === 'agent' ? actor.employeeId : null,
        now: new Date().toISOString(),
      });
      const view = await this.handle(id, command, envelope);
      this.logger.info({ [idKey]: id, revision: (view as { revision: number }).revision }, `${noun} revised`);
      return { value: view };
    });
  }

  private async handle(id: string, command: Command, envelope: CommandEnvelope): Promise<View> {
    const handled = await this.aggregates.handle(this.kind.streamName(id), command, contextOf(envelope));
    if (handled.position !== null) await this.awaitProjection(handled.position);
    // A command re-run after its answer was lost gets the document as it stands.
    return this.kind.view(id, documentViewOfState(handled.state as ExistingDocument));
  }

  /** A project's documents, oldest first, without their revisions. */
  async list(envelope: QueryEnvelope): Promise<View[]> {
    const { projectId } = parseInput(this.kind.listInput, envelope.payload ?? {}, `${this.kind.noun} filter`);
    const rows = await this.dataSource.getRepository(this.kind.Row).find({ where: { projectId }, order: { createdAt: 'ASC', id: 'ASC' } });
    return rows.map((row) => this.kind.view(row.id, documentViewOfRow(row)));
  }

  /** One document with every revision, oldest first. */
  async get(envelope: QueryEnvelope): Promise<View> {
    const { noun, idKey } = this.kind;
    const id = (parseInput(this.kind.getInput, envelope.payload, `${noun} lookup`) as Record<string, string>)[idKey];
    const row = await this.dataSource.getRepository(this.kind.Row).findOneBy({ id });
    if (!row) throw new AutocoderError(ErrorCodes.NotFound, `${noun} ${id} does not exist`);
    const revisions = await this.dataSource.getRepository(this.kind.RevisionRow).find({ where: { id }, order: { revision: 'ASC' } });
    return this.kind.view(id, { ...documentViewOfRow(row), revisions: revisions.map(revisionViewOfRow) });
  }
}
