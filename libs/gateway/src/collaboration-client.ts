import { randomUUID } from 'node:crypto';
import { Subjects, type Actor, type DecisionView, type MessageView, type PlanView } from '@autocoder/contracts';
import type { MessageBus } from '@autocoder/messaging';
import { currentCorrelationId } from '@autocoder/platform';
import { Inject, Injectable } from '@nestjs/common';
import { MESSAGE_BUS } from './tokens';

const S = Subjects.coordinator;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

/** The gateway's way to the coordinator's chat, plans and decisions. */
@Injectable()
export class CollaborationClient {
  constructor(@Inject(MESSAGE_BUS) private readonly bus: MessageBus) {}

  /** A client may name its command with a UUID (Idempotency-Key) so a retry is answered, not re-applied. */
  private command<T>(subject: string, actor: Actor, payload: unknown, commandId?: string | null) {
    const id = commandId && UUID.test(commandId) ? commandId.toLowerCase() : randomUUID();
    return this.bus.request<T>(subject, { commandId: id, correlationId: currentCorrelationId() ?? randomUUID(), actor, payload });
  }

  private query<T>(subject: string, actor: Actor, payload: unknown) {
    return this.bus.request<T>(subject, { correlationId: currentCorrelationId() ?? randomUUID(), actor, payload });
  }

  postMessage(actor: Actor, input: unknown, commandId?: string | null) {
    return this.command<MessageView>(S.postMessage, actor, input, commandId);
  }
  listMessages(actor: Actor, filter: unknown) {
    return this.query<MessageView[]>(S.listMessages, actor, filter);
  }
  onMessagePosted(handler: (message: MessageView) => void) {
    return this.bus.subscribe<MessageView>(Subjects.notifications.messagePosted, handler);
  }

  createPlan(actor: Actor, input: unknown, commandId?: string | null) {
    return this.command<PlanView>(S.createPlan, actor, input, commandId);
  }
  revisePlan(actor: Actor, input: unknown, commandId?: string | null) {
    return this.command<PlanView>(S.revisePlan, actor, input, commandId);
  }
  listPlans(actor: Actor, filter: unknown) {
    return this.query<PlanView[]>(S.listPlans, actor, filter);
  }
  getPlan(actor: Actor, planId: unknown) {
    return this.query<PlanView>(S.getPlan, actor, { planId });
  }

  recordDecision(actor: Actor, input: unknown, commandId?: string | null) {
    return this.command<DecisionView>(S.recordDecision, actor, input, commandId);
  }
  reviseDecision(actor: Actor, input: unknown, commandId?: string | null) {
    return this.command<DecisionView>(S.reviseDecision, actor, input, commandId);
  }
  listDecisions(actor: Actor, filter: unknown) {
    return this.query<DecisionView[]>(S.listDecisions, actor, filter);
  }
  getDecision(actor: Actor, decisionId: unknown) {
    return this.query<DecisionView>(S.getDecision, actor, { decisionId });
  }
}
