import { TaskStatuses, TaskTransitions, type TaskEvent, type TaskStatus } from '@autocoder/contracts';
import { deciderSpec } from '@autocoder/testing';
import { taskDecider, type TaskActor, type TaskCommand } from '../src/tasks/task';

const given = deciderSpec(taskDecider);

const taskId = '3f6c1a52-8d0e-4b7a-9c11-2e5d7f8a9b01';
const projectId = '0b8e7c6d-5a4f-4e3d-8c2b-1a0f9e8d7c6b';
const creator = '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d';
const agent: TaskActor = { kind: 'agent', agentId: 'aaaaaaaa-0000-4000-8000-000000000001', employeeId: 'eeeeeeee-0000-4000-8000-000000000001' };
const other: TaskActor = { kind: 'agent', agentId: 'aaaaaaaa-0000-4000-8000-000000000002', employeeId: 'eeeeeeee-0000-4000-8000-000000000002' };
const admin: TaskActor = { kind: 'admin' };
const T0 = '2026-11-21T10:00:00.000Z';
const at = (sec: number) => new Date(Date.parse(T0) + sec * 1000).toISOString();

const created = (status: 'backlog' | 'ready' = 'ready'): TaskEvent => ({
  type: 'TaskCreated',
  data: { taskId, projectId, title: 'Design Coordinator API', description: '', requiredSpecializationCode: 'planning', createdBy: creator, priority: 'P1', dependsOn: [], status, createdAt: T0 },
});
const claimed = (by = agent as Extract<TaskActor, { kind: 'agent' }>, token = 1, ttl = 60, sec = 1): TaskEvent => ({
  type: 'TaskClaimed',
  data: { taskId, leaseId: `lease-${token}`, agentId: by.agentId, employeeId: by.employeeId, leaseTtlSec: ttl, leaseExpiresAt: at(sec + ttl), fencingToken: token, override: false, claimedAt: at(sec) },
});
const moved = (from: TaskStatus, to: TaskStatus, reason: string | null = null): TaskEvent => ({
  type: 'TaskStatusChanged',
  data: { taskId, from, to, reason, changedBy: 'admin', leaseId: null, changedAt: at(2) },
});

/** Events that bring a task into each status. */
const history: Record<TaskStatus, TaskEvent[]> = {
  backlog: [created('backlog')],
  ready: [created()],
  claimed: [created(), claimed()],
  in_progress: [created(), claimed(), moved('claimed', 'in_progress')],
  review: [created(), claimed(), moved('claimed', 'in_progress'), moved('in_progress', 'review')],
  done: [created(), claimed(), moved('claimed', 'in_progress'), moved('in_progress', 'review'), moved('review', 'done')],
  blocked: [created(), moved('ready', 'blocked', 'needs schema')],
  canceled: [created(), moved('ready', 'canceled')],
};


const claim = (over: Partial<Extract<TaskCommand, { type: 'ClaimTask' }>['data']> = {}): TaskCommand => ({
  type: 'ClaimTask',
  data: { taskId, agentId: agent.agentId, employeeId: agent.employeeId, agentSpecializations: ['planning'], override: false, leaseTtlSec: 60, leaseId: 'lease-new', pendingDependencies: [], now: at(10), ...over },
});
const change = (to: TaskStatus, actor: TaskActor = admin, now = at(20), reason: string | null = 'because'): TaskCommand => ({ type: 'ChangeTaskStatus', data: { taskId, actor, to, reason, now } });

describe('task decider: the pipeline', () => {
  const cases = TaskStatuses.flatMap((from) => TaskStatuses.map((to) => [from, to, TaskTransitions[from].includes(to)] as const));

  it.each(cases)('admin moving %s -> %s is allowed: %s', (from, to, allowed) => {
    const when = given(...history[from]).when(change(to));
    if (allowed) {
      when.then([{ type: 'TaskStatusChanged', data: { taskId, from, to, reason: 'because', changedBy: 'admin', leaseId: ['claimed', 'in_progress', 'review'].includes(from) ? 'lease-1' : null, changedAt: at(20) } }]);
    } else {
      const allowedText = TaskTransitions[from].length ? TaskTransitions[from].join(', ') : 'nothing \\(it is final\\)';
      when.thenFails('INVALID_TRANSITION', new RegExp(`is ${from}; it can move to ${allowedText}, not ${to}`));
    }
  });

  it('needs a blocker to block a task', () => {
    given(...history.ready).when(change('blocked', admin, at(20), null)).thenFails('VALIDATION_FAILED', /needs a blocker/);
  });

  it('ends the lease when a task is done, blocked or canceled, and keeps it through review', () => {
    const state = (events: TaskEvent[]) => events.reduce(taskDecider.evolve, taskDecider.initialState) as any;
    expect(state(history.review).lease).toMatchObject({ leaseId: 'lease-1' });
    expect(state(history.done).lease).toBeNull();
    expect(state([...history.in_progress, moved('in_progress', 'blocked', 'x')])).toMatchObject({ lease: null, blocker: 'x' });
  });
});

describe('task decider: claims and leases', () => {
  it('claims a ready task with a lease and the next fencing token', () => {
    given(created(), claimed(), { type: 'TaskReleased', data: { taskId, leaseId: 'lease-1', agentId: agent.agentId, reason: null, releasedBy: 'admin', releasedAt: at(5) } })
      .when(claim())
      .then([
        {
          type: 'TaskClaimed',
          data: { taskId, leaseId: 'lease-new', agentId: agent.agentId, employeeId: agent.employeeId, leaseTtlSec: 60, leaseExpiresAt: at(70), fencingToken: 2, override: false, claimedAt: at(10) },
        },
      ]);
  });

  it('refuses a second claim while the lease is held, naming the holder', () => {
    given(...history.claimed).when(claim({ agentId: other.kind === 'agent' ? other.agentId : '', employeeId: 'eeeeeeee-0000-4000-8000-000000000002' })).thenFails('ALREADY_CLAIMED', /by employee eeeeeeee-0000-4000-8000-000000000001 until/);
  });

  it('refuses claims on tasks that are not ready', () => {
    for (const status of ['backlog', 'done', 'blocked', 'canceled'] as const) {
      given(...history[status]).when(claim()).thenFails('INVALID_TRANSITION', new RegExp(`is ${status}; only a ready task can be claimed`));
    }
  });

  it('needs the specialization unless override=true, which the event records', () => {
    given(...history.ready).when(claim({ agentSpecializations: ['backend'] })).thenFails('SPECIALIZATION_MISMATCH', /needs specialization "planning"; .* has "backend" \(send override=true/);
    const [event] = taskDecider.decide(claim({ agentSpecializations: ['backend'], override: true }), history.ready.reduce(taskDecider.evolve, taskDecider.initialState));
    expect(event).toMatchObject({ type: 'TaskClaimed', data: { override: true } });
    const [matching] = taskDecider.decide(claim({ override: true }), history.ready.reduce(taskDecider.evolve, taskDecider.initialState));
    expect(matching).toMatchObject({ data: { override: false } });
  });

  it('refuses a claim while dependencies are not done', () => {
    given(...history.ready).when(claim({ pendingDependencies: ['d1', 'd2'] })).thenFails('DEPENDENCIES_NOT_DONE', /not done: d1, d2/);
  });

  it('extends the lease for its holder only, by the claimed TTL', () => {
    given(...history.claimed)
      .when({ type: 'ExtendLease', data: { taskId, actor: agent, now: at(30) } })
      .then([{ type: 'LeaseExtended', data: { taskId, leaseId: 'lease-1', leaseExpiresAt: at(90), extendedAt: at(30) } }]);
    given(...history.claimed).when({ type: 'ExtendLease', data: { taskId, actor: other, now: at(30) } }).thenFails('LEASE_NOT_HELD', /does not hold it/);
    given(...history.claimed).when({ type: 'ExtendLease', data: { taskId, actor: agent, fencingToken: 7, now: at(30) } }).thenFails('LEASE_NOT_HELD', /fencing token 7 is stale/);
  });

  it('refuses a holder whose lease ran out, even before the expiry is recorded', () => {
    given(...history.claimed).when({ type: 'ExtendLease', data: { taskId, actor: agent, now: at(61) } }).thenFails('LEASE_EXPIRED', /expired at/);
    given(...history.claimed).when(change('in_progress', agent, at(61))).thenFails('LEASE_EXPIRED');
    given(...history.claimed).when({ type: 'ReleaseTask', data: { taskId, actor: agent, reason: null, now: at(61) } }).thenFails('LEASE_EXPIRED');
  });

  it('lets the holder move its task along, and nobody else but the admin', () => {
    given(...history.claimed)
      .when(change('in_progress', agent, at(20), null))
      .then([{ type: 'TaskStatusChanged', data: { taskId, from: 'claimed', to: 'in_progress', reason: null, changedBy: `agent:${agent.kind === 'agent' && agent.agentId}`, leaseId: 'lease-1', changedAt: at(20) } }]);
    given(...history.claimed).when(change('in_progress', other, at(20))).thenFails('LEASE_NOT_HELD');
    given(...history.ready).when(change('blocked', agent, at(20))).thenFails('LEASE_NOT_HELD', /with no lease/);
  });

  it('releases back to ready with the reason', () => {
    const state = [...history.in_progress, ...taskDecider.decide({ type: 'ReleaseTask', data: { taskId, actor: agent, reason: 'blocked by missing schema', now: at(20) } }, history.in_progress.reduce(taskDecider.evolve, taskDecider.initialState))].reduce(
      taskDecider.evolve,
      taskDecider.initialState,
    );
    expect(state).toMatchObject({ status: 'ready', lease: null });
  });

  it('expires a lease only once it has run out, and only once', () => {
    given(...history.claimed).when({ type: 'ExpireLease', data: { taskId, now: at(60) } }).then([]);
    const expired: TaskEvent = { type: 'LeaseExpired', data: { taskId, leaseId: 'lease-1', agentId: agent.kind === 'agent' ? agent.agentId : '', leaseExpiresAt: at(61), expiredAt: at(61) } };
    given(...history.claimed).when({ type: 'ExpireLease', data: { taskId, now: at(61) } }).then([expired]);
    given(...history.claimed, expired).when({ type: 'ExpireLease', data: { taskId, now: at(62) } }).then([]);
    expect([...history.claimed, expired].reduce(taskDecider.evolve, taskDecider.initialState)).toMatchObject({ status: 'ready', lease: null });
  });

  it('creates a task once, however often the create is retried', () => {
    const create: TaskCommand = { type: 'CreateTask', data: { taskId, projectId, title: 'x', description: '', requiredSpecializationCode: 'planning', createdBy: creator, priority: 'P1', dependsOn: [], status: 'ready', now: T0 } };
    given().when(create).then([{ type: 'TaskCreated', data: { ...(create.data as any), now: undefined, createdAt: T0 } }].map((e: any) => ({ ...e, data: Object.fromEntries(Object.entries(e.data).filter(([k]) => k !== 'now')) })));
    given(...history.ready).when(create).then([]);
  });
});
