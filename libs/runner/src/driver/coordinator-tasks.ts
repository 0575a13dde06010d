import {
  Subjects,
  nameBasedUuid,
  type Actor,
  type ClaimResult,
  type CommandEnvelope,
  type RegisterAgentResult,
  type TaskHeartbeatResult,
  type TaskView,
} from '@autocoder/contracts';
import type { MessageBus } from '@autocoder/messaging';
import { randomUUID } from 'node:crypto';

/** The runner's identity in the coordinator: an agent with the `coding` specialization. */
export interface RunnerAgent {
  agentId: string;
  employeeId: string;
}

export const CODING_SPECIALIZATION = 'coding';

/**
 * The coordinator as the runner uses it, over the bus only (the runner reads no coordinator table):
 * claim a project's next feature task, keep its lease, and finish or release it — always with the
 * fencing token, on the holder subjects, so a worker that lost its lease cannot act through a newer one.
 */
export class CoordinatorTasks {
  private agent: RunnerAgent | null = null;

  constructor(
    private readonly bus: MessageBus,
    /** Stable per installation, so a restarted runner is the same agent. */
    private readonly employeeId: string,
  ) {}

  private system(): Actor {
    return { kind: 'system', name: 'runner' };
  }

  private actor(): Actor {
    if (!this.agent) throw new Error('the runner has not registered with the coordinator yet');
    return { kind: 'agent', agentId: this.agent.agentId, employeeId: this.agent.employeeId };
  }

  private envelope<P>(payload: P, commandId: string, actor: Actor, correlationId = commandId): CommandEnvelope<P> {
    return { commandId, correlationId, actor, payload };
  }

  async register(name: string): Promise<RunnerAgent> {
    const result = await this.bus.request<RegisterAgentResult>(
      Subjects.coordinator.registerAgent,
      this.envelope(
        { employeeId: this.employeeId, name, endpointUrl: null, specializationCodes: [CODING_SPECIALIZATION], capabilities: { runner: true }, ownerEmployeeId: null },
        randomUUID(),
        this.system(),
      ),
    );
    this.agent = { agentId: result.agentId, employeeId: this.employeeId };
    return this.agent;
  }

  async heartbeatAgent(): Promise<void> {
    await this.bus.request(Subjects.coordinator.recordAgentHeartbeat, this.envelope({ employeeId: this.employeeId, status: 'active', metadata: {} }, randomUUID(), this.actor()));
  }

  /** A feature's task, created once: the command id follows from the feature. */
  async createFeatureTask(commandId: string, task: { projectId: string; title: string; description: string; priority: 'P0' | 'P1' | 'P2' | 'P3' }, correlationId: string): Promise<TaskView> {
    return this.bus.request<TaskView>(
      Subjects.coordinator.createTask,
      this.envelope({ ...task, requiredSpecializationCode: CODING_SPECIALIZATION, createdBy: this.employeeId, dependsOn: [], status: 'ready' }, commandId, this.system(), correlationId),
    );
  }

  /** The project's best ready task for this runner, or null. The request id makes a retried claim answer the same task. */
  async claimNext(projectId: string, leaseTtlSec: number, requestId: string): Promise<ClaimResult | null> {
    return this.bus.request<ClaimResult | null>(Subjects.coordinator.claimNextTask, this.envelope({ employeeId: this.employeeId, leaseTtlSec, projectId }, requestId, this.actor()));
  }

  async heartbeat(taskId: string, fencingToken: number): Promise<TaskHeartbeatResult> {
    return this.bus.request<TaskHeartbeatResult>(Subjects.coordinator.holderHeartbeat, this.envelope({ taskId, employeeId: this.employeeId, fencingToken }, randomUUID(), this.actor()));
  }

  /** Moves the task on, one step; the command id follows from the session so a retry is answered once. */
  async setStatus(taskId: string, fencingToken: number, status: 'in_progress' | 'review' | 'done', stepId: string): Promise<TaskView> {
    return this.bus.request<TaskView>(
      Subjects.coordinator.holderStatus,
      this.envelope({ taskId, employeeId: this.employeeId, fencingToken, status }, nameBasedUuid(`runner/task-status/${stepId}/${status}`), this.actor()),
    );
  }

  async release(taskId: string, fencingToken: number, reason: string, stepId: string): Promise<void> {
    await this.bus.request(
      Subjects.coordinator.holderRelease,
      this.envelope({ taskId, employeeId: this.employeeId, fencingToken, reason }, nameBasedUuid(`runner/task-release/${stepId}`), this.actor()),
    );
  }
}
