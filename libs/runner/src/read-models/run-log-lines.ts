import { LogLevels, type LogLevel, type RunLogLine } from '@autocoder/contracts';
import { timelineEntryOfRow } from './timeline-projection';
import type { TimelineRow } from './timeline-row.entity';

/**
 * The levels shown when asking for `level` and up. A timeline entry's level: `error` for error
 * entries (a failed model call, a failed run, a tool call interrupted before its result), `warn` for
 * a tool result with isError or a command that exited non-zero, `debug` for the details of a
 * completed model call, `info` for everything else.
 */
export const levelsFrom = (level: LogLevel): LogLevel[] => LogLevels.slice(LogLevels.indexOf(level));

export function logLineOfRow(row: TimelineRow): RunLogLine {
  const entry = timelineEntryOfRow(row);
  return {
    level: row.level as LogLevel,
    at: entry.at,
    msg: row.msg,
    runId: entry.runId,
    sessionId: entry.sessionId,
    correlationId: row.correlationId,
    eventType: entry.eventType,
    seq: entry.seq,
    data: entry.data,
  };
}
