// Faults a test queues for the next requests, consumed one a request, in order.
import { ApiError } from './api-error';

export type Fault =
  | { status: 429; retryAfterSec?: number; message?: string }
  | { status: 529; message?: string }
  | { status: 500; message?: string }
  | { status: 400; message: string }
  /** Answer normally, but close the socket after this many SSE events (a non-streamed answer is cut before its body). */
  | { cutStreamAfterEvents: number };

export function faultError(fault: Exclude<Fault, { cutStreamAfterEvents: number }>): ApiError {
  switch (fault.status) {
    case 429:
      return new ApiError(
        429,
        'rate_limit_error',
        fault.message ?? 'This request would exceed your organization\u2019s rate limit. Please try again later.',
        { 'retry-after': String(fault.retryAfterSec ?? 1) },
      );
    case 529:
      return new ApiError(529, 'overloaded_error', fault.message ?? 'Overloaded');
    case 500:
      return new ApiError(500, 'api_error', fault.message ?? 'Internal server error');
    case 400:
      return ApiError.invalid(fault.message);
  }
}

export class FaultQueue {
  private readonly queue: Fault[] = [];

  push(fault: Fault, count = 1): void {
    for (let i = 0; i < count; i++) this.queue.push(fault);
  }

  next(): Fault | undefined {
    return this.queue.shift();
  }

  get pending(): number {
    return this.queue.length;
  }
}
