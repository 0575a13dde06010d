import { AutocoderError, ErrorCodes } from '@autocoder/contracts';
import type { ExpectedRevision } from './event-store';

const describe = (r: ExpectedRevision | number | null) =>
  r === null ? 'no stream' : typeof r === 'number' ? `revision ${r}` : r.replace('_', ' ');

export class WrongExpectedRevisionError extends AutocoderError {
  constructor(
    readonly stream: string,
    readonly expected: ExpectedRevision,
    readonly actual: number | null,
  ) {
    super(
      ErrorCodes.WrongExpectedRevision,
      `stream ${stream}: expected ${describe(expected)}, but it is at ${describe(actual)}`,
    );
  }
}

export class StreamNotFoundError extends AutocoderError {
  constructor(readonly stream: string) {
    super(ErrorCodes.StreamNotFound, `stream ${stream} does not exist`);
  }
}

export class EventIdConflictError extends AutocoderError {
  constructor(readonly stream: string) {
    super(
      ErrorCodes.EventIdConflict,
      `stream ${stream}: some of these event ids are already stored, but not as exactly this append; ` +
        'a re-append must repeat the whole original batch to the same stream',
    );
  }
}

export const isWrongExpectedRevision = (e: unknown): e is WrongExpectedRevisionError => e instanceof WrongExpectedRevisionError;
export const isStreamNotFound = (e: unknown): e is StreamNotFoundError => e instanceof StreamNotFoundError;
