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
  ModelDeprecated: 'MODEL_DEPRECATED',
  ModelUnknown: 'MODEL_UNKNOWN',
  ModelRequestInvalid: 'MODEL_REQUEST_INVALID',
  ModelUnavailable: 'MODEL_UNAVAILABLE',
  BudgetExhausted: 'BUDGET_EXHAUSTED',
  PriceTableInvalid: 'PRICE_TABLE_INVALID',
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

/** Throws the typed error: deciders refuse a command with `return fail(code, message)`. */
export function fail(code: ErrorCode, message: string, details?: ErrorDetail[]): never {
  throw new AutocoderError(code, message, details);
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
    MODEL_DEPRECATED: 400,
    MODEL_UNKNOWN: 400,
    // The runner built a request the Messages API refused: the upstream said no, not the caller.
    MODEL_REQUEST_INVALID: 502,
    MODEL_UNAVAILABLE: 503,
    // Payment Required: the call would pass a hard budget; raising the budget lets it through.
    BUDGET_EXHAUSTED: 402,
    PRICE_TABLE_INVALID: 500,
  })[code];

/**
 * What a command that failed with a code leaves behind for its command id. `decision`: the service
 * decided (bad input, not allowed, the task's state says no): that is the command's answer, kept,
 * and a retry with the same id gets it again. `transient`: nothing was decided (a conflict that
 * outlasted the retries, a server that did not answer, a bug): the id is released, so a retry runs
 * the command again and can succeed. A new code must be classified here (the type demands it).
 */
export const ErrorOutcomes: Record<ErrorCode, 'decision' | 'transient'> = {
  VALIDATION_FAILED: 'decision',
  PAYLOAD_TOO_LARGE: 'decision',
  UNSUPPORTED_MEDIA_TYPE: 'decision',
  UNAUTHENTICATED: 'decision',
  FORBIDDEN: 'decision',
  NOT_FOUND: 'decision',
  CONFLICT: 'decision',
  WRONG_EXPECTED_REVISION: 'transient',
  STREAM_NOT_FOUND: 'transient',
  EVENT_ID_CONFLICT: 'transient',
  COMMAND_ID_REUSED: 'decision',
  // Applied before, answer gone with a process: no later run can answer better.
  COMMAND_ANSWER_LOST: 'decision',
  INVALID_TRANSITION: 'decision',
  ALREADY_CLAIMED: 'decision',
  LEASE_NOT_HELD: 'decision',
  LEASE_EXPIRED: 'decision',
  SPECIALIZATION_MISMATCH: 'decision',
  DEPENDENCIES_NOT_DONE: 'decision',
  UNAVAILABLE: 'transient',
  INTERNAL: 'transient',
  MODEL_DEPRECATED: 'decision',
  MODEL_UNKNOWN: 'decision',
  // The same request would be refused again.
  MODEL_REQUEST_INVALID: 'decision',
  MODEL_UNAVAILABLE: 'transient',
  BUDGET_EXHAUSTED: 'decision',
  PRICE_TABLE_INVALID: 'decision',
};

/** True when an error is a command's decided answer; anything else (or a code this build does not know) is transient. */
export const isDecision = (error: unknown): error is AutocoderError =>
  error instanceof AutocoderError && ErrorOutcomes[error.code] === 'decision';

/**
 * The codes that say nothing about the command itself, only that it could not be carried out now:
 * the same command may succeed when sent again with the same id (ErrorOutcomes decides).
 */
export const TransientErrorCodes: readonly ErrorCode[] = (Object.keys(ErrorOutcomes) as ErrorCode[]).filter(
  (code) => ErrorOutcomes[code] === 'transient',
);

/** Anything that is not a decision (a transient code, a dropped connection, a bug) is transient. */
export const isTransientError = (error: unknown): boolean => !isDecision(error);
