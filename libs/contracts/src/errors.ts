/** Stable error codes shared by every service and surface (REST, GraphQL, NATS). */
export const ErrorCodes = {
  ValidationFailed: 'VALIDATION_FAILED',
  PayloadTooLarge: 'PAYLOAD_TOO_LARGE',
  UnsupportedMediaType: 'UNSUPPORTED_MEDIA_TYPE',
  Unauthenticated: 'UNAUTHENTICATED',
  Forbidden: 'FORBIDDEN',
  NotFound: 'NOT_FOUND',
  Conflict: 'CONFLICT',
  WrongExpectedRevision: 'WRONG_EXPECTED_REVISION',
  StreamNotFound: 'STREAM_NOT_FOUND',
  EventIdConflict: 'EVENT_ID_CONFLICT',
  CommandIdReused: 'COMMAND_ID_REUSED',
  CommandAnswerLost: 'COMMAND_ANSWER_LOST',
  InvalidTransition: 'INVALID_TRANSITION',
  AlreadyClaimed: 'ALREADY_CLAIMED',
  LeaseNotHeld: 'LEASE_NOT_HELD',
  LeaseExpired: 'LEASE_EXPIRED',
  SpecializationMismatch: 'SPECIALIZATION_MISMATCH',
  DependenciesNotDone: 'DEPENDENCIES_NOT_DONE',
  Unavailable: 'UNAVAILABLE',
  Internal: 'INTERNAL',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

export interface ErrorDetail {
  path: string;
  message: string;
}

/** The serialisable shape of an error as it crosses a process boundary. */
export interface ErrorBody {
  code: ErrorCode;
  message: string;
  details?: ErrorDetail[];
}

export class AutocoderError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: ErrorDetail[],
  ) {
    super(message);
    this.name = 'AutocoderError';
  }

  toBody(): ErrorBody {
    return this.details?.length
      ? { code: this.code, message: this.message, details: this.details }
      : { code: this.code, message: this.message };
  }

  static fromBody(body: ErrorBody): AutocoderError {
    return new AutocoderError(body.code, body.message, body.details);
  }
}

export const isAutocoderError = (error: unknown, code?: ErrorCode): error is AutocoderError =>
  error instanceof AutocoderError && (code === undefined || error.code === code);

/** HTTP status a surface answers with for each code. */
export const httpStatusOf = (code: ErrorCode): number =>
  ({
    VALIDATION_FAILED: 400,
    PAYLOAD_TOO_LARGE: 413,
    UNSUPPORTED_MEDIA_TYPE: 415,
    UNAUTHENTICATED: 401,
    FORBIDDEN: 403,
    NOT_FOUND: 404,
    CONFLICT: 409,
    WRONG_EXPECTED_REVISION: 409,
    STREAM_NOT_FOUND: 404,
    EVENT_ID_CONFLICT: 409,
    COMMAND_ID_REUSED: 409,
    COMMAND_ANSWER_LOST: 409,
    INVALID_TRANSITION: 409,
    ALREADY_CLAIMED: 409,
    LEASE_NOT_HELD: 409,
    LEASE_EXPIRED: 409,
    SPECIALIZATION_MISMATCH: 403,
    DEPENDENCIES_NOT_DONE: 409,
    UNAVAILABLE: 503,
    INTERNAL: 500,
  })[code];

/**
 * Codes that say nothing about the command itself, only that it could not be carried out now (a
 * conflict that outlasted its retries, a service that did not answer, a crash): the same command may
 * succeed when sent again with the same id. Every other code is a decision and stays the answer.
 */
export const TransientErrorCodes: readonly ErrorCode[] = [ErrorCodes.WrongExpectedRevision, ErrorCodes.Unavailable, ErrorCodes.Internal];

/** Anything that is not one of our typed errors (a dropped connection, a bug) is transient too. */
export const isTransientError = (error: unknown): boolean => !(error instanceof AutocoderError) || TransientErrorCodes.includes(error.code);
