import { deciderSpec } from '@autocoder/testing';
import { type DecisionEvent, type PlanEvent } from '@autocoder/contracts';
import { decisionDecider, type DecisionCommand } from '../src/planning/decision';
import type { CreateDocumentData, ReviseDocumentData } from '../src/planning/document';
import { planDecider, type PlanCommand } from '../src/planning/plan';

const id = '6a7b8c9d-0e1f-4a2b-8c3d-4e5f6a7b8c9d';
const projectId = '0b8e7c6d-5a4f-4e3d-8c2b-1a0f9e8d7c6b';
const employeeId = 'eeeeeeee-0000-4000-8000-000000000001';
const asAgent = { author: 'agent:aaaaaaaa-0000-4000-8000-000000000001', authorEmployeeId: employeeId };
const asAdmin = { author: 'admin', authorEmployeeId: null };
const T0 = '2026-11-21T10:00:00.000Z';
const at = (sec: number) => new Date(Date.parse(T0) + sec * 1000).toISOString();


const create = (over: Partial<CreateDocumentData> = {}): CreateDocumentData => ({
  id,
  projectId,
  title: 'Coordinator API Plan',
  bodyMarkdown: '...',
  ...asAdmin,
  now: at(0),
  ...over,
});
const revise = (over: Partial<ReviseDocumentData> = {}): ReviseDocumentData => ({
  id,
  title: null,
  bodyMarkdown: null,
  expectedRevision: null,
  ...asAgent,
  now: at(60),
  ...over,
});

describe('plan decider', () => {
  const given = deciderSpec(planDecider);
  const created: PlanEvent = { type: 'PlanCreated', data: { planId: id, projectId, title: 'Coordinator API Plan', bodyMarkdown: '...', ...asAdmin, createdAt: at(0) } };
  const revised = (revision: number, title: string, bodyMarkdown: string, sec = 60): PlanEvent => ({
    type: 'PlanRevised',
    data: { planId: id, revision, title, bodyMarkdown, ...asAgent, revisedAt: at(sec) },
  });
  const createPlan = (over: Partial<CreateDocumentData> = {}): PlanCommand => ({ type: 'CreatePlan', data: create(over) });
  const revisePlan = (over: Partial<ReviseDocumentData> = {}): PlanCommand => ({ type: 'RevisePlan', data: revise(over) });

  it('creates a plan as revision 1', () => {
    given().when(createPlan()).then([created]);
    expect([created].reduce(planDecider.evolve, planDecider.initialState)).toMatchObject({ exists: true, revision: 1, createdBy: 'admin', updatedBy: 'admin' });
  });

  it('does nothing when a retried create finds the plan there', () => {
    given(created).when(createPlan()).then([]);
  });

  it('revises the body, keeping the title, as the next revision by its author', () => {
    given(created).when(revisePlan({ bodyMarkdown: 'v2' })).then([revised(2, 'Coordinator API Plan', 'v2')]);
  });

  it('numbers revisions one after another', () => {
    given(created, revised(2, 'Coordinator API Plan', 'v2'))
      .when(revisePlan({ title: 'Renamed', now: at(120) }))
      .then([revised(3, 'Renamed', 'v2', 120)]);
    const state = [created, revised(2, 'T', 'v2'), revised(3, 'T3', 'v3', 120)].reduce(planDecider.evolve, planDecider.initialState);
    expect(state).toMatchObject({ revision: 3, title: 'T3', bodyMarkdown: 'v3', createdBy: 'admin', updatedBy: asAgent.author, updatedByEmployeeId: employeeId, createdAt: at(0), updatedAt: at(120) });
  });

  it('records no revision when nothing changes', () => {
    given(created).when(revisePlan({ title: 'Coordinator API Plan', bodyMarkdown: '...' })).then([]);
  });

  it('refuses to revise a plan that does not exist', () => {
    given().when(revisePlan({ bodyMarkdown: 'v2' })).thenFails('NOT_FOUND', new RegExp(`plan ${id} does not exist`));
  });

  it('refuses a change made on an older revision', () => {
    given(created, revised(2, 'Coordinator API Plan', 'v2'))
      .when(revisePlan({ bodyMarkdown: 'v3', expectedRevision: 1 }))
      .thenFails('CONFLICT', new RegExp(`plan ${id} is at revision 2, not 1: it was revised since`));
    given(created, revised(2, 'Coordinator API Plan', 'v2'))
      .when(revisePlan({ bodyMarkdown: 'v3', expectedRevision: 2 }))
      .then([revised(3, 'Coordinator API Plan', 'v3')]);
  });
});

describe('decision decider', () => {
  const given = deciderSpec(decisionDecider);
  const recorded: DecisionEvent = {
    type: 'DecisionRecorded',
    data: { decisionId: id, projectId, title: 'Use Next.js', bodyMarkdown: 'Why we chose it', ...asAgent, recordedAt: at(0) },
  };
  const revised = (revision: number, title: string, bodyMarkdown: string): DecisionEvent => ({
    type: 'DecisionRevised',
    data: { decisionId: id, revision, title, bodyMarkdown, ...asAdmin, revisedAt: at(60) },
  });
  const record = (over: Partial<CreateDocumentData> = {}): DecisionCommand => ({
    type: 'RecordDecision',
    data: create({ title: 'Use Next.js', bodyMarkdown: 'Why we chose it', ...asAgent, ...over }),
  });
  const reviseDecision = (over: Partial<ReviseDocumentData> = {}): DecisionCommand => ({ type: 'ReviseDecision', data: revise({ ...asAdmin, ...over }) });

  it('records a decision by its author as revision 1', () => {
    given().when(record()).then([recorded]);
    expect([recorded].reduce(decisionDecider.evolve, decisionDecider.initialState)).toMatchObject({ revision: 1, createdBy: asAgent.author, createdByEmployeeId: employeeId });
  });

  it('does nothing when a retried record finds the decision there', () => {
    given(recorded).when(record()).then([]);
  });

  it('revises title and body together', () => {
    given(recorded).when(reviseDecision({ title: 'Use Remix', bodyMarkdown: 'We changed our mind' })).then([revised(2, 'Use Remix', 'We changed our mind')]);
  });

  it('records no revision when nothing changes', () => {
    given(recorded).when(reviseDecision({ title: 'Use Next.js' })).then([]);
  });

  it('refuses to revise a decision that does not exist', () => {
    given().when(reviseDecision({ title: 'x' })).thenFails('NOT_FOUND', new RegExp(`decision ${id} does not exist`));
  });

  it('refuses a change made on an older revision', () => {
    given(recorded, revised(2, 'Use Remix', 'b'))
      .when(reviseDecision({ title: 'x', expectedRevision: 1 }))
      .thenFails('CONFLICT', /is at revision 2, not 1/);
  });
});
