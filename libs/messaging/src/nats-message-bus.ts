import { AutocoderError, ErrorCodes, type CommandEnvelope, type QueryEnvelope, type Reply } from '@autocoder/contracts';
import { ClientNats } from '@nestjs/microservices';
import type { NatsConnection, Subscription } from 'nats';
import { lastValueFrom, timeout as rxTimeout } from 'rxjs';
import { DEFAULT_REQUEST_TIMEOUT_MS, type MessageBus, type Unsubscribe } from './message-bus';
import { HeldAnswers } from './held-answers';
import { JsonTextNatsDeserializer } from './json-text-nats-deserializer';
import { JsonText, isSameAnswer, unwrapReply, type ServedReply } from './reply';

/**
 * NATS through the NestJS transport: requests go to the queue group serving the subject, so
 * several instances share them; broadcasts reach every subscriber.
 */
export class NatsMessageBus implements MessageBus {
  private readonly subscriptions = new Set<Subscription>();
  /** The last JSON text answer of each query asked with requestJson. */
  private readonly held = new HeldAnswers();

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
   * sender's tag. The bus holds the last one of each query (subject, actor and payload) and names it
   * when it asks again: while the service keeps that answer, only the tag comes back and the held
   * JsonText is the answer, so a kept list crosses NATS once, as it crosses nothing in process.
   */
  async requestJson<T>(subject: string, envelope: QueryEnvelope | CommandEnvelope, timeoutMs = DEFAULT_REQUEST_TIMEOUT_MS): Promise<T | JsonText<T>> {
    const key = queryKey(subject, envelope);
    const held = key === undefined ? undefined : this.held.get(key);
    const reply = await this.call<T>(subject, held ? { ...envelope, hasAnswer: held.tag } : envelope, timeoutMs);
    if (held && isSameAnswer(reply) && reply.sameAs === held.tag) return held as JsonText<T>;
    if (key !== undefined) {
      if (reply?.ok && 'value' in reply && reply.value instanceof JsonText) this.held.set(key, reply.value);
      else this.held.forget(key);
    }
    return reply?.ok && 'value' in reply && reply.value instanceof JsonText ? reply.value : unwrapReply(reply, subject);
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

/** What names a query's answer: only a query (no command id) with a payload JSON can write. */
function queryKey(subject: string, envelope: QueryEnvelope | CommandEnvelope): string | undefined {
  if (!envelope || typeof envelope !== 'object' || 'commandId' in envelope) return undefined;
  try {
    return JSON.stringify([subject, envelope.actor, envelope.payload]);
  } catch {
    return undefined;
  }
}
