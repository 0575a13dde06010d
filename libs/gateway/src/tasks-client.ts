import { randomUUID } from 'node:crypto';
import { Subjects, type Actor, type ClaimResult, type TaskHeartbeatResult, type TaskView } from '@autocoder/contracts';
import type { MessageBus } from '@autocoder/messaging';
import { currentCorrelationId } from '@autocoder/platform';
import { Inject, Injectable } from '@nestjs/common';
import { MESSAGE_BUS } from './tokens';

const S = Subjects.coordinator;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

/** The gateway's way to the coordinator's task pipeline. */
@Injectable()
export class TasksClient {
  constructor(@Inject(MESSAGE_BUS) private readonly bus: MessageBus) {}

  private command<T>(subject: string, actor: Actor, payload: unknown, commandId?: string | null) {
    const id = commandId && UUID.test(commandId) ? commandId.toLowerCase() : randomUUID();
    return this.bus.request<T>(subject, { commandId: id, correlationId: currentCorrelationId() ?? randomUUID(), actor, payload });
  }

  private query<T>(subject: string, actor: Actor, payload: unknown) {
    return this.bus.request<T>(subject, { correlationId: currentCorrelationId() ?? randomUUID(), actor, payload });
  }

  create(actor: Actor, input: unknown, commandId?: string | null) {
    return this.command<TaskView>(S.createTask, actor, input, commandId);
  }
  claim(actor: Actor, input: unknown, commandId?: string | null) {
    return this.command<ClaimResult>(S.claimTask, actor, input, commandId);
  }
  claimNext(actor: Actor, input: unknown, commandId?: string | null) {
    return this.command<ClaimResult | null>(S.claimNextTask, actor, input, commandId);
  }
  heartbeat(actor: Actor, input: unknown, commandId?: string | null) {
    return this.command<TaskHeartbeatResult>(S.heartbeatTask, actor, input, commandId);
  }
  release(actor: Actor, input: unknown, commandId?: string | null) {
    return this.command<TaskView>(S.releaseTask, actor, input, commandId);
  }
  changeStatus(actor: Actor, input: unknown, commandId?: string | null) {
    return this.command<TaskView>(S.changeTaskStatus, actor, input, commandId);
  }
  list(actor: Actor, filter: unknown) {
    return this.query<TaskView[]>(S.listTasks, actor, filter);
  }
  get(actor: Actor, taskId: string) {
    return this.query<TaskView>(S.getTask, actor, { taskId });
  }
  onTaskUpdated(handler: (task: TaskView) => void) {
    return this.bus.subscribe<TaskView>(Subjects.notifications.taskUpdated, handler);
  }
}
