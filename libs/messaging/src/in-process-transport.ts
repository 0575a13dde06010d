import { AutocoderError, ErrorCodes } from '@autocoder/contracts';
import { Server, type CustomTransportStrategy, type MessageHandler } from '@nestjs/microservices';
import { lastValueFrom } from 'rxjs';
import { DEFAULT_REQUEST_TIMEOUT_MS, type MessageBus, type Unsubscribe } from './message-bus';
import { JsonText, unwrapReply, type ServedReply } from './reply';

/**
 * The in-process stand-in for NATS, used when every service runs in one process: the same
 * @MessagePattern handlers, with payloads copied through JSON as they would be on the wire (an answer
 * that is JSON text already is parsed once, into the caller's copy).
 */
export class InProcessBroker implements MessageBus {
  private readonly handlers = new Map<string, (data: unknown) => Promise<unknown>>();
  private readonly listeners = new Map<string, Set<(payload: unknown) => void>>();

  register(subject: string, handler: (data: unknown) => Promise<unknown>) {
    this.handlers.set(subject, handler);
  }

  async request<T>(subject: string, envelope: unknown, timeoutMs = DEFAULT_REQUEST_TIMEOUT_MS): Promise<T> {
    const reply = await this.call<T>(subject, envelope, timeoutMs);
    // JSON text needs no copy first: unwrapReply parses it into the caller's own.
    return unwrapReply(reply?.ok && 'value' in reply && reply.value instanceof JsonText ? reply : wire(reply), subject);
  }

  /** JSON text is handed over as it is: a string cannot be changed, so sharing it copies nothing that matters. */
  async requestJson<T>(subject: string, envelope: unknown, timeoutMs = DEFAULT_REQUEST_TIMEOUT_MS): Promise<T | JsonText<T>> {
    const reply = await this.call<T>(subject, envelope, timeoutMs);
    return reply?.ok && 'value' in reply && reply.value instanceof JsonText ? reply.value : unwrapReply(wire(reply), subject);
  }

  private async call<T>(subject: string, envelope: unknown, timeoutMs: number): Promise<ServedReply<T>> {
    const handler = this.handlers.get(subject);
    if (!handler) throw new AutocoderError(ErrorCodes.Unavailable, `no service answers ${subject}`);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new AutocoderError(ErrorCodes.Unavailable, `${subject} did not answer within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      return (await Promise.race([handler(wireRequest(subject, envelope)), timeout])) as ServedReply<T>;
    } finally {
      clearTimeout(timer);
    }
  }

  publish(subject: string, payload: unknown) {
    for (const listener of this.listeners.get(subject) ?? []) {
      // Each listener gets its own copy, as each NATS subscriber decodes its own; a listener's error is
      // dropped as the NATS transport drops it, never an uncaught exception in the shared process.
      const copy = wire(payload);
      queueMicrotask(() => {
        try {
          listener(copy);
        } catch {
          // Notifications are hints; the store is the truth.
        }
      });
    }
  }

  subscribe<T>(subject: string, handler: (payload: T) => void): Unsubscribe {
    const set = this.listeners.get(subject) ?? new Set();
    set.add(handler as (payload: unknown) => void);
    this.listeners.set(subject, set);
    return () => set.delete(handler as (payload: unknown) => void);
  }

  async close() {
    this.handlers.clear();
    this.listeners.clear();
  }
}

const wire = <T>(value: T): T => (value === undefined ? value : JSON.parse(JSON.stringify(value)));

/** JSON nested thousands deep overflows JSON.stringify's stack: the caller's input problem, not a crash. */
const wireRequest = <T>(subject: string, envelope: T): T => {
  try {
    return wire(envelope);
  } catch (error) {
    if (error instanceof RangeError) {
      throw new AutocoderError(ErrorCodes.ValidationFailed, `the request on ${subject} is nested too deeply to send: ${error.message}`);
    }
    throw error;
  }
};

/** Nest transport strategy that serves a module's @MessagePattern handlers on an InProcessBroker. */
export class InProcessServer extends Server implements CustomTransportStrategy {
  constructor(private readonly broker: InProcessBroker) {
    super();
  }

  listen(callback: () => void) {
    for (const [pattern, handler] of this.messageHandlers as Map<string, MessageHandler>) {
      this.broker.register(pattern, async (data) => lastValueFrom(this.transformToObservable(await handler(data))));
    }
    callback();
  }

  close() {}
  on() {
    throw new Error('InProcessServer has no events');
  }
  unwrap<T>(): T {
    return this.broker as T;
  }
}
