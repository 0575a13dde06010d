import { Subjects, type DecisionEvent, type DecisionView, type MessageView, type PlanEvent, type PlanView } from '@autocoder/contracts';
import { AggregateStore, type EventStore } from '@autocoder/eventstore';
import type { CommandLog, MessageBus } from '@autocoder/messaging';
import type { Logger } from '@autocoder/platform';
import { Projector } from '@autocoder/projections';
import type { DataSource } from 'typeorm';
import { MessageRow } from './chat/message-row.entity';
import { MessagesProjection } from './chat/messages-projection';
import { MessagesService, type AwaitProjection } from './chat/messages-service';
import { threadDecider } from './chat/thread';
import { decisionDecider, type DecisionCommand } from './planning/decision';
import { planningEntities } from './planning/document-row.entity';
import { DocumentsProjection } from './planning/documents-projection';
import { DocumentsService } from './planning/documents-service';
import { planDecider, type PlanCommand } from './planning/plan';
import { decisionKind, planKind } from './planning/planning-kinds';

/** The read-model tables of the chat, plans and decisions, for the coordinator's DataSource. */
export const collaborationEntities = [MessageRow, ...planningEntities];

export interface CollaborationOptions {
  store: EventStore;
  bus: MessageBus;
  commands: CommandLog;
  dataSource: DataSource;
  schema: string;
  logger: Logger;
  /** How long a command waits for its read model before answering anyway. */
  projectionWaitMs?: number;
}

export interface Collaboration {
  messages: MessagesService;
  plans: DocumentsService<PlanCommand, PlanEvent, PlanView>;
  decisions: DocumentsService<DecisionCommand, DecisionEvent, DecisionView>;
  projectors: Projector<unknown>[];
}

/** Wires the coordination chat, plans and decisions: services, projectors and the messagePosted notification. */
export function createCollaboration(options: CollaborationOptions): Collaboration {
  const { store, bus, commands, dataSource, schema, logger } = options;
  const waitMs = options.projectionWaitMs ?? 5000;
  const awaiting = (projector: Projector<unknown>): AwaitProjection => (position) =>
    projector.waitFor(position, waitMs).catch((error) => logger.warn({ err: error, projection: projector.name, position }, 'answering before the read model caught up'));

  const messagesProjector = new Projector<MessageView>({
    store,
    dataSource,
    projection: new MessagesProjection(schema),
    schema,
    logger,
    // After the commit, so a subscriber that reads on notice finds the message.
    onCommitted: (changes) => {
      for (const message of changes) bus.publish(Subjects.notifications.messagePosted, message);
    },
  });
  const plansProjector = new Projector({ store, dataSource, projection: new DocumentsProjection(planKind, schema), schema, logger });
  const decisionsProjector = new Projector({ store, dataSource, projection: new DocumentsProjection(decisionKind, schema), schema, logger });

  const messages = new MessagesService(new AggregateStore(store, threadDecider), store, commands, dataSource, awaiting(messagesProjector as Projector<unknown>), logger);
  const plans = new DocumentsService(planKind, new AggregateStore(store, planDecider), commands, dataSource, awaiting(plansProjector as Projector<unknown>), logger);
  const decisions = new DocumentsService(decisionKind, new AggregateStore(store, decisionDecider), commands, dataSource, awaiting(decisionsProjector as Projector<unknown>), logger);
  return { messages, plans, decisions, projectors: [messagesProjector, plansProjector, decisionsProjector] as Projector<unknown>[] };
}
