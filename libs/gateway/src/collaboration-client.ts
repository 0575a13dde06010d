import { Subjects, type Actor, type DecisionView, type MessageView, type PlanView } from '@autocoder/contracts';
import type { MessageBus } from '@autocoder/messaging';
import { Inject, Injectable } from '@nestjs/common';
import { BusClient } from './bus-client';
import { MESSAGE_BUS } from './tokens';

const S = Subjects.coordinator;

/** The gateway's way to the coordinator's chat, plans and decisions. */
@Injectable()
export class CollaborationClient extends BusClient {
  constructor(@Inject(MESSAGE_BUS) bus: MessageBus) {
    super(bus);
  }

  postMessage(actor: Actor, input: unknown, commandId?: string | null) {
    return this.command<MessageView>(S.postMessage, actor, input, commandId);
  }
  listMessages(actor: Actor, filter: unknown) {
    return this.query<MessageView[]>(S.listMessages, actor, filter);
  }

  /** The list as the coordinator answered it: JSON text it keeps, tagged (see Renderings). */
  listMessagesJson(actor: Actor, filter: unknown) {
    return this.queryJson<MessageView[]>(S.listMessages, actor, filter);
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
