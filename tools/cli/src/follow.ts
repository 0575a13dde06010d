import { CliError } from './cli-error';
import { atLeast, entryLine, levelOf, progress } from './format';
import type { GatewayClient } from './gateway-client';
import { refusal } from './gateway-client';
import { serverSentEvents } from './sse';
import type { Run, StreamEntry } from './views';

export interface Output {
  out: (line: string) => void;
  /** The progress line: redrawn in place on a terminal, a line of its own when it changes elsewhere. */
  progress: (line: string) => void;
}

/** Entry types after which the run's counts (features, tokens) are worth asking for again. */
const COUNTING = new Set(['feature', 'status', 'complete', 'tool_result', 'commit', 'test']);
const REFRESH_MS = 3_000;
const RECONNECTS = 5;

/**
 * `logs --follow`: the run's SSE stream from its start, each entry a line, with a progress line of
 * features passing and tokens used. A dropped connection resumes after the last entry seen
 * (Last-Event-ID); the stream ends after the run's `complete`.
 */
export async function followRun(client: GatewayClient, runId: string, options: { level?: string }, output: Output): Promise<Run> {
  let last: string | undefined;
  let run = await client.request<Run>('GET', `/api/agent-runs/${runId}`);
  let shown = '';
  const show = () => {
    const line = progress(run);
    if (line !== shown) output.progress((shown = line));
  };
  const refresh = async () => {
    try {
      run = await client.request<Run>('GET', `/api/agent-runs/${runId}`);
      show();
    } catch {
      // The stream goes on; the next refresh may work.
    }
  };
  show();
  const timer = setInterval(() => void refresh(), REFRESH_MS);
  try {
    for (let attempt = 0; ; attempt++) {
      const abort = new AbortController();
      const res = await client.fetch(`/api/agent-runs/${runId}/stream`, { headers: last ? { 'last-event-id': last } : {}, signal: abort.signal });
      if (!res.ok) throw await refusal(res);
      let completed = false;
      try {
        for await (const event of serverSentEvents(res.body as unknown as AsyncIterable<Uint8Array>)) {
          if (event.id) last = event.id;
          if (event.event === 'stream_error') throw new CliError(`the stream failed: ${event.data}`);
          const entry = JSON.parse(event.data) as StreamEntry;
          if (atLeast(levelOf(event.event), options.level)) output.out(entryLine(event.event, entry));
          if (COUNTING.has(event.event)) await refresh();
          if (event.event === 'complete') completed = true;
        }
      } catch (error) {
        if (error instanceof CliError) throw error;
        // The connection dropped mid-stream: resume after the last entry.
      }
      if (completed) break;
      await refresh();
      if (['stopped', 'completed', 'failed'].includes(run.status) && attempt > 0) break;
      if (attempt >= RECONNECTS) throw new CliError(`the stream of run ${runId} kept dropping; ${RECONNECTS} reconnects failed`);
      await new Promise((r) => setTimeout(r, 1000 * (attempt + 1)));
    }
    await refresh();
    return run;
  } finally {
    clearInterval(timer);
  }
}
