import { AutocoderError, type ErrorCode } from '@autocoder/contracts';

/** A model call that failed for good: the code says how, with what the API said when it answered. */
export class ModelCallError extends AutocoderError {
  constructor(
    code: ErrorCode,
    message: string,
    /** The HTTP status of the API's answer; null when there was none (connection lost, stream cut). */
    readonly status: number | null,
    readonly requestId: string | null,
    /** HTTP attempts made, the SDK's retries included. */
    readonly attempts: number,
  ) {
    super(code, message);
    this.name = 'ModelCallError';
  }
}
