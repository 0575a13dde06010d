import { type ThreadEvent } from '@autocoder/contracts';
import { deciderSpec } from '@autocoder/testing';
import { threadDecider, type ChatActor, type ThreadCommand } from '../src/chat/thread';

const threadId = '5d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6';
const projectId = '0b8e7c6d-5a4f-4e3d-8c2b-1a0f9e8d7c6b';
const otherProject = '1c9f8e7d-6b5a-4f4e-9d3c-2b1a0f9e8d7c';
const taskId = '3f6c1a52-8d0e-4b7a-9c11-2e5d7f8a9b01';
const agent: ChatActor = { kind: 'agent', agentId: 'aaaaaaaa-0000-4000-8000-000000000001', employeeId: 'eeeeeeee-0000-4000-8000-000000000001' };
const admin: ChatActor = { kind: 'admin' };
const someoneElse = 'eeeeeeee-0000-4000-8000-000000000002';
const T0 = '2026-11-21T10:00:00.000Z';
const at = (ms: number) => new Date(Date.parse(T0) + ms).toISOString();


const given = deciderSpec(threadDecider);

type Post = ThreadCommand['data'];
const post = (over: Partial<Post> = {}): ThreadCommand => ({
  type: 'PostMessage',
  data: {
    messageId: 'm-new',
    threadId,
    projectId,
    taskId: null,
    taskProjectId: null,
    senderId: agent.kind === 'agent' ? agent.employeeId : '',
    messageType: 'task_update',
    payload: { status: 'blocked', summary: 'Need schema' },
    actor: agent,
    now: at(5000),
    ...over,
  },
});
const posted = (over: Partial<Extract<ThreadEvent, { type: 'MessagePosted' }>['data']> = {}): ThreadEvent => ({
  type: 'MessagePosted',
  data: {
    messageId: 'm-1',
    threadId,
    projectId,
    taskId: null,
    senderId: agent.kind === 'agent' ? agent.employeeId : '',
    messageType: 'task_update',
    payload: { status: 'blocked', summary: 'Need schema' },
    postedAt: at(1000),
    ...over,
  },
});

describe('thread decider: posting messages', () => {
  it('starts a thread with its first message, which ties it to the project it names', () => {
    given().when(post()).then([posted({ messageId: 'm-new', postedAt: at(5000) })]);
    const state = [posted()].reduce(threadDecider.evolve, threadDecider.initialState);
    expect(state).toEqual({ exists: true, threadId, projectId, lastPostedAt: at(1000), messageCount: 1 });
  });

  it('starts a thread without a project when its first message names none (seed 004 payload)', () => {
    given().when(post({ projectId: null })).then([posted({ messageId: 'm-new', projectId: null, postedAt: at(5000) })]);
    const state = [posted({ projectId: null })].reduce(threadDecider.evolve, threadDecider.initialState);
    expect(state).toEqual({ exists: true, threadId, projectId: null, lastPostedAt: at(1000), messageCount: 1 });
  });

  it('keeps a thread without a project while its messages name none', () => {
    given(posted({ projectId: null })).when(post({ projectId: null })).then([posted({ messageId: 'm-new', projectId: null, postedAt: at(5000) })]);
  });

  it('ties a thread without a project to the project a later message names, for good', () => {
    given(posted({ projectId: null })).when(post()).then([posted({ messageId: 'm-new', postedAt: at(5000) })]);
    const events = [posted({ projectId: null }), posted({ messageId: 'm-2', postedAt: at(2000) })];
    const state = events.reduce(threadDecider.evolve, threadDecider.initialState);
    expect(state).toEqual({ exists: true, threadId, projectId, lastPostedAt: at(2000), messageCount: 2 });
    // Once tied, a message naming none is filed under the project, and another project is a conflict.
    given(posted({ projectId: null }), posted({ messageId: 'm-2', postedAt: at(2000) }))
      .when(post({ projectId: null }))
      .then([posted({ messageId: 'm-new', postedAt: at(5000) })]);
    given(posted({ projectId: null }), posted({ messageId: 'm-2', postedAt: at(2000) }))
      .when(post({ projectId: otherProject }))
      .thenFails('CONFLICT', new RegExp(`thread ${threadId} belongs to project ${projectId}; it cannot take a message for project ${otherProject}`));
  });

  it('ties a thread without a project to the project of the task a message names', () => {
    const byTask = post({ projectId: null, taskId, taskProjectId: projectId });
    given(posted({ projectId: null })).when(byTask).then([posted({ messageId: 'm-new', taskId, postedAt: at(5000) })]);
    given().when(byTask).then([posted({ messageId: 'm-new', taskId, postedAt: at(5000) })]);
  });

  it('refuses a message naming a project and a task of another project', () => {
    given(posted({ projectId: null }))
      .when(post({ projectId: otherProject, taskId, taskProjectId: projectId }))
      .thenFails('CONFLICT', new RegExp(`task ${taskId} belongs to project ${projectId}, not to project ${otherProject}, which this message names`));
  });

  it('takes a later message without a project and files it under the thread project', () => {
    given(posted()).when(post({ projectId: null })).then([posted({ messageId: 'm-new', postedAt: at(5000) })]);
  });

  it('takes a later message naming the same project', () => {
    given(posted()).when(post()).then([posted({ messageId: 'm-new', postedAt: at(5000) })]);
  });

  it('refuses a later message naming another project', () => {
    given(posted())
      .when(post({ projectId: otherProject }))
      .thenFails('CONFLICT', new RegExp(`thread ${threadId} belongs to project ${projectId}; it cannot take a message for project ${otherProject}`));
  });

  it('lets an agent post only as itself', () => {
    given().when(post({ senderId: someoneElse })).thenFails('FORBIDDEN', new RegExp(`belongs to employee ${agent.kind === 'agent' && agent.employeeId}; it may not post as sender ${someoneElse}`));
  });

  it('lets the admin post as any sender', () => {
    given(posted()).when(post({ actor: admin, senderId: someoneElse })).then([posted({ messageId: 'm-new', senderId: someoneElse, postedAt: at(5000) })]);
  });

  it('attaches a message to a task of the same project', () => {
    given(posted()).when(post({ taskId, taskProjectId: projectId, projectId: null })).then([posted({ messageId: 'm-new', taskId, postedAt: at(5000) })]);
  });

  it('refuses a task that does not exist', () => {
    given().when(post({ taskId, taskProjectId: null })).thenFails('NOT_FOUND', new RegExp(`task ${taskId} does not exist`));
  });

  it('refuses a task of another project than the thread', () => {
    given(posted())
      .when(post({ taskId, taskProjectId: otherProject, projectId: null }))
      .thenFails('CONFLICT', new RegExp(`task ${taskId} belongs to project ${otherProject}, not to project ${projectId} of thread ${threadId}`));
  });

  it('keeps posting times strictly increasing within a thread, even when a clock lags', () => {
    given(posted({ postedAt: at(9000) })).when(post({ now: at(5000) })).then([posted({ messageId: 'm-new', postedAt: at(9001) })]);
    given(posted({ postedAt: at(5000) })).when(post({ now: at(5000) })).then([posted({ messageId: 'm-new', postedAt: at(5001) })]);
  });

  it('counts messages and remembers the last posting time', () => {
    const state = [posted(), posted({ messageId: 'm-2', postedAt: at(2000) })].reduce(threadDecider.evolve, threadDecider.initialState);
    expect(state).toMatchObject({ messageCount: 2, lastPostedAt: at(2000), projectId });
  });
});
