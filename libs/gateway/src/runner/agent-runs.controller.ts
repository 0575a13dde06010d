import { AutocoderError, ErrorCodes, type Actor, type RunTimelineEntry } from '@autocoder/contracts';
import type { Logger } from '@autocoder/platform';
import { Body, Controller, Get, Headers, HttpCode, Inject, Param, Post, Query, Req, Res } from '@nestjs/common';
import type { Response } from 'express';
import type { AuthenticatedRequest } from '../auth/request-context.middleware';
import { queryFilter } from '../rest/coord-messages.controller';
import { GATEWAY_LOGGER } from '../tokens';
import { UsageClient } from '../usage/usage-client';
import { restRunCost } from '../usage/usage-rest';
import { bodyOf } from './projects.controller';
import { RunnerClient } from './runner-client';
import { restEntry, restLogLine, restRun } from './runner-rest';
import { RUN_STREAM, RunTimelineFollower } from './run-timeline-follower';
import { RunTimelineWatch } from './run-timeline-watch';

/** The stream position a client resumes after: `Last-Event-ID` (what EventSource sends on reconnect) wins over `?after=`. */
export function streamPosition(header: unknown, query: unknown): number {
  const fromHeader = typeof header === 'string' && header !== '';
  const given = fromHeader ? header : query;
  if (given === undefined || given === '') return 0;
  if (typeof given === 'string' && /^\d{1,15}$/.test(given)) return Number(given);
  const source = fromHeader ? 'Last-Event-ID header' : 'after';
  throw new AutocoderError(ErrorCodes.ValidationFailed, `invalid stream position (${source}): after: must be the sequence number of an event (a whole number, 0 or more)`, [
    { path: 'after', message: `must be the sequence number of an event (a whole number, 0 or more), given in the ${source}` },
  ]);
}

/** One SSE frame: the entry's sequence number as its id, the seed's type as its event. */
export const sseFrame = (entry: RunTimelineEntry) => `id: ${entry.seq}\nevent: ${entry.type}\ndata: ${JSON.stringify(restEntry(entry))}\n\n`;

/** Writes and waits for the socket to drain when its buffer is full; false once the client is gone. */
export async function writeTo(res: Response, chunk: string): Promise<boolean> {
  if (res.writableEnded || res.destroyed) return false;
  if (res.write(chunk)) return true;
  await new Promise<void>((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
  return !res.destroyed;
}

/**
 * Seed 002's run paths: status, controls, the event stream, and logs. Controls need the admin token;
 * agents' keys may read and follow.
 */
@Controller('api/agent-runs')
export class AgentRunsController {
  constructor(
    private readonly runner: RunnerClient,
    private readonly usage: UsageClient,
    private readonly watch: RunTimelineWatch,
    @Inject(GATEWAY_LOGGER) private readonly logger: Logger,
  ) {}

  /** The Python orchestrator's form of starting a run: {project_id, yolo?, model?, ...} -> 201 and the run. */
  @Post()
  @HttpCode(201)
  async start(@Req() req: AuthenticatedRequest, @Body() payload: unknown, @Headers('idempotency-key') commandId?: string) {
    return restRun(await this.runner.startRun(req.actor!, bodyOf(payload), commandId));
  }

  /**
   * Status, feature counts, token totals by bucket, its sessions, and its cost from the usage service
   * (cost_usd, unknown_model_calls); without that service the run is shown with nulls and cost_unavailable saying why.
   */
  @Get(':id')
  async get(@Req() req: AuthenticatedRequest, @Param('id') id: string) {
    const [run, sessions, cost] = await Promise.all([this.runner.getRun(req.actor!, id), this.runner.listSessions(req.actor!, id), this.usage.runCostOrAbsence(req.actor!, id)]);
    return { ...restRun(run, sessions), ...restRunCost(cost) };
  }

  @Post(':id/stop')
  @HttpCode(200)
  async stop(@Req() req: AuthenticatedRequest, @Param('id') id: string, @Body() payload: unknown, @Headers('idempotency-key') commandId?: string) {
    return restRun(await this.runner.stopRun(req.actor!, { ...bodyOf(payload), runId: id }, commandId));
  }

  @Post(':id/pause')
  @HttpCode(200)
  async pause(@Req() req: AuthenticatedRequest, @Param('id') id: string, @Body() payload: unknown, @Headers('idempotency-key') commandId?: string) {
    return restRun(await this.runner.pauseRun(req.actor!, { ...bodyOf(payload), runId: id }, commandId));
  }

  @Post(':id/resume')
  @HttpCode(200)
  async resume(@Req() req: AuthenticatedRequest, @Param('id') id: string, @Body() payload: unknown, @Headers('idempotency-key') commandId?: string) {
    return restRun(await this.runner.resumeRun(req.actor!, { ...bodyOf(payload), runId: id }, commandId));
  }

  /** Log lines, oldest first: ?level= (that level and above), ?since= (ISO 8601), ?session_id=, ?limit=. */
  @Get(':id/logs')
  async logs(@Req() req: AuthenticatedRequest, @Param('id') id: string, @Query() query: Record<string, unknown>) {
    return (await this.runner.logs(req.actor!, { ...queryFilter(query, 'log filter'), runId: id })).map(restLogLine);
  }

  /** Every log line of one session, one JSON object a line, for download. */
  @Get(':id/sessions/:sessionId/log.ndjson')
  async exportSession(@Req() req: AuthenticatedRequest, @Param('id') id: string, @Param('sessionId') sessionId: string, @Res() res: Response) {
    const actor = req.actor!;
    const sessions = await this.runner.listSessions(actor, id);
    if (!sessions.some((s) => s.sessionId === sessionId)) {
      throw new AutocoderError(ErrorCodes.NotFound, `run ${id} has no session ${sessionId}`);
    }
    res.status(200).setHeader('Content-Type', 'application/x-ndjson; charset=utf-8');
    res.setHeader('Content-Disposition', `attachment; filename="session-${sessionId}.ndjson"`);
    let since: string | undefined;
    let last = -1;
    const limit = 10_000;
    for (;;) {
      // `since` may include the last line read again: sequence numbers drop what was written already.
      const lines = await this.runner.logs(actor, { runId: id, sessionId, limit, ...(since ? { since } : {}) });
      const fresh = lines.filter((l) => l.seq > last);
      for (const line of fresh) {
        if (!(await writeTo(res, `${JSON.stringify(restLogLine(line))}\n`))) return;
        last = line.seq;
      }
      if (lines.length < limit || !fresh.length) break;
      since = fresh[fresh.length - 1].at;
    }
    res.end();
  }

  /**
   * Server-sent events: `id: <seq>`, `event: <type>`, `data: <json>`. From the start (or after
   * Last-Event-ID / ?after=), live until the run ends: a finished run replays and the stream ends
   * after its last entry (`complete`). Comments keep idle proxies from closing it.
   */
  @Get(':id/stream')
  async stream(@Req() req: AuthenticatedRequest, @Param('id') id: string, @Query('after') after: unknown, @Res() res: Response) {
    const actor: Actor = req.actor!;
    const position = streamPosition(req.header('last-event-id'), after);
    await this.runner.getRun(actor, id); // a 404 (or a 400 for a malformed id) before the stream starts
    res.status(200);
    res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
    res.setHeader('Cache-Control', 'no-cache, no-transform');
    res.setHeader('Connection', 'keep-alive');
    res.setHeader('X-Accel-Buffering', 'no');
    res.flushHeaders();
    res.write(`retry: 2000\n\n`);

    const follower = new RunTimelineFollower({ client: this.runner, actor, runId: id, after: position, deliver: async (entry) => {
        if (!(await writeTo(res, sseFrame(entry)))) follower.stop();
      },
    });
    const unwatch = this.watch.watchRun(id, () => follower.wake());
    const heartbeat = setInterval(() => void writeTo(res, `: heartbeat\n\n`), RUN_STREAM.heartbeatMs);
    // The response's close, not the request's: that one fires once the (empty) body was read.
    res.on('close', () => follower.stop());
    try {
      await follower.done;
    } catch (error) {
      this.logger.warn({ err: error, runId: id }, 'run stream ended on an error');
      // Not `error`: that is the runner's own event type.
      await writeTo(res, `event: stream_error\ndata: ${JSON.stringify({ error: error instanceof AutocoderError ? error.toBody() : { code: ErrorCodes.Internal, message: 'the stream failed' } })}\n\n`);
    } finally {
      clearInterval(heartbeat);
      unwatch();
      res.end();
    }
  }
}
