import { Subjects, type Actor, type ClaimResult, type TaskHeartbeatResult, type TaskView } from '@autocoder/contracts';
import type { MessageBus } from '@autocoder/messaging';
import { Inject, Injectable } from '@nestjs/common';
import { BusClient } from './bus-client';
import { MESSAGE_BUS } from './tokens';

const S = Subjects.coordinator;

/** The gateway's way to the coordinator's task pipeline. */
@Injectable()
export class TasksClient extends BusClient {
  constructor(@Inject(MESSAGE_BUS) bus: MessageBus) {
    super(bus);
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

  /** The list as the coordinator answered it: JSON text it keeps, tagged (see Renderings). */
  listJson(actor: Actor, filter: unknown) {
    return this.queryJson<TaskView[]>(S.listTasks, actor, filter);
  }
  get(actor: Actor, taskId: string) {
    return this.query<TaskView>(S.getTask, actor, { taskId });
  }
  onTaskUpdated(handler: (task: TaskView) => void) {
    return this.bus.subscribe<TaskView>(Subjects.notifications.taskUpdated, handler);
  }
}
