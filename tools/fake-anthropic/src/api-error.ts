// The API's error answer: an HTTP status, an error type and the API's message, sent as
// {type:'error', error:{type, message}, request_id}.

export type ApiErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'permission_error'
  | 'not_found_error'
  | 'request_too_large'
  | 'rate_limit_error'
  | 'api_error'
  | 'overloaded_error';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly type: ApiErrorType,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  static invalid(message: string): ApiError {
    return new ApiError(400, 'invalid_request_error', message);
  }

  body(requestId: string): { type: 'error'; error: { type: ApiErrorType; message: string }; request_id: string } {
    return { type: 'error', error: { type: this.type, message: this.message }, request_id: requestId };
  }
}
