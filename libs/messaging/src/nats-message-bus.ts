import { AutocoderError, ErrorCodes, type Reply } from '@autocoder/contracts';
import { ClientNats } from '@nestjs/microservices';
import type { NatsConnection, Subscription } from 'nats';
import { lastValueFrom, timeout as rxTimeout } from 'rxjs';
import { DEFAULT_REQUEST_TIMEOUT_MS, type MessageBus, type Unsubscribe } from './message-bus';
import { JsonTextNatsDeserializer } from './json-text-nats-deserializer';
import { JsonText, unwrapReply, type ServedReply } from './reply';

/**
 * NATS through the NestJS transport: requests go to the queue group serving the subject, so
 * several instances share them; broadcasts reach every subscriber.
 */
export class NatsMessageBus implements MessageBus {
  private readonly subscriptions = new Set<Subscription>();

  private constructor(
    private readonly client: ClientNats,
    private readonly connection: NatsConnection,
    /** Put before every subject: installations sharing a NATS server stay apart. */
    private readonly prefix: string,
  ) {}

  static async connect(servers: string, name: string, prefix = ''): Promise<NatsMessageBus> {
    // The deserializer keeps a value the service sent as JSON text as that text (see requestJson).
    const client = new ClientNats({ servers, name, reconnect: true, maxReconnectAttempts: -1, deserializer: new JsonTextNatsDeserializer() });
    await client.connect();
    return new NatsMessageBus(client, client.unwrap<NatsConnection>(), prefix);
  }

  async request<T>(subject: string, envelope: unknown, timeoutMs = DEFAULT_REQUEST_TIMEOUT_MS): Promise<T> {
    return unwrapReply(await this.call<T>(subject, envelope, timeoutMs), subject);
  }

  /**
   * A value the service sent as JSON text arrives as a JsonText with the text as sent and the
   * sender's tag: a new object on every request, but the same tag while the service keeps the answer.
   */
  async requestJson<T>(subject: string, envelope: unknown, timeoutMs = DEFAULT_REQUEST_TIMEOUT_MS): Promise<T | JsonText<T>> {
    const reply = await this.call<T>(subject, envelope, timeoutMs);
    return reply?.ok && reply.value instanceof JsonText ? reply.value : unwrapReply(reply, subject);
  }

  private async call<T>(subject: string, envelope: unknown, timeoutMs: number): Promise<ServedReply<T>> {
    try {
      return await lastValueFrom(this.client.send<Reply<T>>(this.prefix + subject, envelope).pipe(rxTimeout(timeoutMs)));
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (/no responders|503/i.test(message)) throw new AutocoderError(ErrorCodes.Unavailable, `no service answers ${subject}`);
      if ((error as Error)?.name === 'TimeoutError') {
        throw new AutocoderError(ErrorCodes.Unavailable, `${subject} did not answer within ${timeoutMs} ms`);
      }
      throw new AutocoderError(ErrorCodes.Unavailable, `${subject} failed on the message bus: ${message}`);
    }
  }

  publish(subject: string, payload: unknown) {
    // Copied now: the Nest client serialises a tick later, and the caller may change the object meanwhile.
    let data: unknown;
    try {
      data = payload === undefined ? undefined : JSON.parse(JSON.stringify(payload));
    } catch {
      return; // not JSON: dropped, as the client would have dropped it
    }
    this.client.emit(this.prefix + subject, data).subscribe({ error: () => undefined });
  }

  subscribe<T>(subject: string, handler: (payload: T) => void): Unsubscribe {
    // Not through a Nest server: its queue group would hand each notification to one process only.
    const subscription = this.connection.subscribe(this.prefix + subject, {
      callback: (error, msg) => {
        if (error) return;
        try {
          const packet = JSON.parse(Buffer.from(msg.data).toString('utf8')) as { data: T };
          handler(packet.data);
        } catch {
          // A malformed notification is dropped; notifications are hints, the store is the truth.
        }
      },
    });
    this.subscriptions.add(subscription);
    return () => {
      subscription.unsubscribe();
      this.subscriptions.delete(subscription);
    };
  }

  async close() {
    for (const s of this.subscriptions) s.unsubscribe();
    await this.client.close();
  }
}
