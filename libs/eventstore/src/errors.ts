import { AutocoderError, ErrorCodes, type ErrorDetail } from '@autocoder/contracts';
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

/**
 * Some of the batch's event ids are stored already, but not as this very batch: the same ids, in this
 * stream, at consecutive revisions in this order, with the same type, data and metadata.commandId.
 */
export class EventIdConflictError extends AutocoderError {
  constructor(readonly stream: string) {
    super(
      ErrorCodes.EventIdConflict,
      `stream ${stream}: some of these event ids are already stored, but not as exactly this append; ` +
        'a re-append must repeat the whole original batch (same ids in the same order, types, data and command id) to the same stream',
    );
  }
}

/** A batch no store could take as it is (an id twice, an id that is not a UUID); checked before anything is written. */
export class InvalidAppendError extends AutocoderError {
  constructor(
    readonly stream: string,
    details: ErrorDetail[],
  ) {
    super(ErrorCodes.ValidationFailed, `append to stream ${stream} refused: ${details.map((d) => `${d.path} ${d.message}`).join('; ')}`, details);
  }
}

export const isWrongExpectedRevision = (e: unknown): e is WrongExpectedRevisionError => e instanceof WrongExpectedRevisionError;
export const isStreamNotFound = (e: unknown): e is StreamNotFoundError => e instanceof StreamNotFoundError;
export const isEventIdConflict = (e: unknown): e is EventIdConflictError => e instanceof EventIdConflictError;
