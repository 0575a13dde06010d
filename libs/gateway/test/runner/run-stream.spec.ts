import WebSocket from 'ws';
import { scriptedAgent } from '@autocoder/testing';
import { RUN_STREAM } from '../../src/runner/run-timeline-follower';
import { ADMIN, eventually, readSse, startRunnerGateway, type RunnerGateway } from './runner-gateway';

describe('gateway: a run as a stream (SSE and /ws/:projectId)', () => {
  let gw: RunnerGateway;
  beforeAll(async () => {
    gw = await startRunnerGateway();
  });
  afterAll(async () => gw?.close());

  /** A finished run of three entries and its complete. */
  const finishedRun = () => {
    const project = gw.runner.addProject();
    const run = gw.runner.addRun(project.projectId);
    const session = gw.runner.addSession(run.runId);
    const entries = [
      gw.runner.emit(run.runId, 'status', { status: 'running' }),
      gw.runner.emit(run.runId, 'tool_call', { name: 'bash', input: { command: 'npm test' } }, { sessionId: session.sessionId, eventType: 'ToolCalled' }),
      gw.runner.emit(run.runId, 'feature', { featureId: 'f1', to: 'passing' }, { sessionId: session.sessionId }),
    ];
    gw.runner.finish(run.runId);
    return { project, run, session, entries };
  };

  it('replays a finished run from its start and ends after complete', async () => {
    const { run, session, entries } = finishedRun();
    const res = await readSse(gw, `/api/agent-runs/${run.runId}/stream`, ADMIN);
    expect(res.status).toBe(200);
    expect(res.contentType).toMatch(/^text\/event-stream/);
    expect(res.ended).toBe(true);
    expect(res.events.map((e) => e.event)).toEqual(['status', 'tool_call', 'feature', 'complete']);
    expect(res.events.map((e) => Number(e.id))).toEqual([...entries.map((e) => e.seq), entries[2].seq + 1]);
    expect(JSON.parse(res.events[1].data!)).toEqual({
      seq: entries[1].seq,
      run_id: run.runId,
      project_id: run.projectId,
      session_id: session.sessionId,
      event_type: 'ToolCalled',
      at: entries[1].at,
      data: { name: 'bash', input: { command: 'npm test' } },
    });
  });

  it('resumes after Last-Event-ID, or after ?after= when no header is sent', async () => {
    const { run, entries } = finishedRun();
    const byHeader = await readSse(gw, `/api/agent-runs/${run.runId}/stream?after=0`, ADMIN, { headers: { 'last-event-id': String(entries[1].seq) } });
    expect(byHeader.events.map((e) => e.event)).toEqual(['feature', 'complete']);
    const byQuery = await readSse(gw, `/api/agent-runs/${run.runId}/stream?after=${entries[0].seq}`, ADMIN);
    expect(byQuery.events.map((e) => e.event)).toEqual(['tool_call', 'feature', 'complete']);
    const bad = await fetch(`${gw.url}/api/agent-runs/${run.runId}/stream`, { headers: { authorization: `Bearer ${ADMIN}`, 'last-event-id': 'yesterday' } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as any).error.message).toMatch(/Last-Event-ID/);
  });

  it('delivers live entries as the runTimeline notification arrives, then ends on complete', async () => {
    const run = gw.runner.addRun(gw.runner.addProject().projectId);
    gw.runner.emit(run.runId, 'status', { status: 'running' });
    let opened!: () => void;
    const open = new Promise<void>((resolve) => (opened = resolve));
    const reading = readSse(gw, `/api/agent-runs/${run.runId}/stream`, gw.agent.apiKey, { onOpen: opened });
    await open;
    await new Promise((r) => setTimeout(r, 100)); // the replay read the first page and waits
    const sentAt = Date.now();
    gw.runner.emit(run.runId, 'commit', { sha: 'abc123' });
    gw.runner.finish(run.runId);
    const res = await reading;
    // Well within the backstop poll: the notification woke it.
    expect(Date.now() - sentAt).toBeLessThan(RUN_STREAM.pollMs);
    expect(res.events.map((e) => e.event)).toEqual(['status', 'commit', 'complete']);
    expect(res.ended).toBe(true);
  });

  it('finds entries whose notification was lost by its backstop poll', async () => {
    const run = gw.runner.addRun(gw.runner.addProject().projectId);
    let opened!: () => void;
    const open = new Promise<void>((resolve) => (opened = resolve));
    const reading = readSse(gw, `/api/agent-runs/${run.runId}/stream`, ADMIN, { onOpen: opened, timeoutMs: RUN_STREAM.pollMs * 3 });
    await open;
    await new Promise((r) => setTimeout(r, 100));
    gw.runner.emit(run.runId, 'error', { message: 'unheard' }, { notify: false });
    gw.runner.finish(run.runId, 'failed', { notify: false });
    const res = await reading;
    expect(res.events.map((e) => e.event)).toEqual(['error', 'complete']);
    expect(res.ended).toBe(true);
  }, 30_000);

  it('stops reading the timeline when the client goes away', async () => {
    const run = gw.runner.addRun(gw.runner.addProject().projectId);
    gw.runner.emit(run.runId, 'status', { status: 'running' });
    const res = await readSse(gw, `/api/agent-runs/${run.runId}/stream`, ADMIN, { stopWhen: (events) => events.length === 1 });
    expect(res.events).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 100));
    const pages = () => gw.runner.sent('runner.qry.run.timeline').filter((e) => e.payload.runId === run.runId).length;
    const before = pages();
    gw.runner.emit(run.runId, 'status', { status: 'paused' });
    await new Promise((r) => setTimeout(r, 200));
    expect(pages()).toBe(before);
  });

  describe('/ws/:projectId', () => {
    const connect = (path: string, headers: Record<string, string> = {}) => {
      const ws = new WebSocket(`${gw.url.replace('http', 'ws')}${path}`, { headers });
      const messages: any[] = [];
      ws.on('message', (data) => messages.push(JSON.parse(String(data))));
      const opened = new Promise<void>((resolve, reject) => {
        ws.once('open', () => resolve());
        ws.once('unexpected-response', (_req, res) => reject(Object.assign(new Error(`refused with ${res.statusCode}`), { status: res.statusCode })));
        ws.once('error', reject);
      });
      return { ws, messages, opened };
    };

    it("delivers every run's entries of the project as {id, type, data}, new runs included", async () => {
      const project = gw.runner.addProject();
      const running = gw.runner.addRun(project.projectId);
      const first = gw.runner.emit(running.runId, 'status', { status: 'running' });
      const { ws, messages, opened } = connect(`/ws/${project.projectId}?token=${encodeURIComponent(gw.agent.apiKey)}`);
      await opened;
      await eventually(() => (messages.length === 1 ? true : undefined));
      expect(messages[0]).toEqual({ id: first.seq, type: 'status', data: expect.objectContaining({ run_id: running.runId, data: { status: 'running' } }) });

      const later = gw.runner.addRun(project.projectId);
      gw.runner.emit(later.runId, 'tool_result', { ok: true });
      gw.runner.emit(running.runId, 'test', { passed: 3 });
      gw.runner.emit(gw.runner.addRun(gw.runner.addProject().projectId).runId, 'status', { elsewhere: true });
      await eventually(() => (messages.length === 3 ? true : undefined));
      expect(messages.slice(1).map((m) => [m.type, m.data.run_id]).sort()).toEqual(
        [
          ['test', running.runId],
          ['tool_result', later.runId],
        ].sort(),
      );
      await new Promise((r) => setTimeout(r, 100));
      expect(messages).toHaveLength(3);
      ws.close();
    });

    it('replays after ?after= and takes the token from the Authorization header too', async () => {
      const project = gw.runner.addProject();
      const { run, entries } = (() => {
        const r = gw.runner.addRun(project.projectId);
        const e = [gw.runner.emit(r.runId, 'status', {}), gw.runner.emit(r.runId, 'commit', {})];
        gw.runner.finish(r.runId);
        return { run: r, entries: e };
      })();
      const { ws, messages, opened } = connect(`/ws/${project.projectId}?after=${entries[0].seq}`, { authorization: `Bearer ${ADMIN}` });
      await opened;
      await eventually(() => (messages.length === 2 ? true : undefined));
      expect(messages.map((m) => m.type)).toEqual(['commit', 'complete']);
      expect(messages[0].data.run_id).toBe(run.runId);
      ws.close();
    });

    it("closes an agent's feed once its key is rotated (4403)", async () => {
      const project = gw.runner.addProject();
      const rotating = scriptedAgent();
      gw.runner.agents.push(rotating);
      const { ws, opened } = connect(`/ws/${project.projectId}?token=${rotating.apiKey}`);
      await opened;
      const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
      gw.runner.revokeAgent(rotating.agentId);
      expect(await closed).toBe(4403);
    });

    it('refuses the upgrade without a valid token (401) and for an unknown project (404)', async () => {
      const project = gw.runner.addProject();
      await expect(connect(`/ws/${project.projectId}`).opened).rejects.toMatchObject({ status: 401 });
      await expect(connect(`/ws/${project.projectId}?token=nope`).opened).rejects.toMatchObject({ status: 401 });
      await expect(connect(`/ws/${'0'.repeat(8)}-0000-4000-8000-${'0'.repeat(12)}?token=${ADMIN}`).opened).rejects.toMatchObject({ status: 404 });
      // Paths no websocket owns are still refused.
      await expect(connect(`/elsewhere?token=${ADMIN}`).opened).rejects.toBeDefined();
    });
  });
});
