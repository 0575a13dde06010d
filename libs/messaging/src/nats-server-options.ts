import { ServerNats, type CustomStrategy, type MessageHandler } from '@nestjs/microservices';
import { JsonTextNatsSerializer } from './json-text-nats-serializer';

/**
 * Serves a module's @MessagePattern handlers on NATS under `prefix` + subject, so several
 * installations (or test runs) can share one NATS server without answering each other.
 */
class PrefixedServerNats extends ServerNats {
  constructor(
    options: ConstructorParameters<typeof ServerNats>[0],
    private readonly prefix: string,
  ) {
    super(options);
  }

  override listen(callback: (err?: unknown, ...optionalParams: unknown[]) => void) {
    if (this.prefix) {
      const handlers = [...(this.messageHandlers as Map<string, MessageHandler>)];
      this.messageHandlers.clear();
      for (const [pattern, handler] of handlers) this.messageHandlers.set(`${this.prefix}${pattern}`, handler);
    }
    return super.listen(callback);
  }
}

/** A service's NATS server: its instances join one queue group and share the requests; JSON text answers go out as they are. */
export const natsServerOptions = (servers: string, queue: string, name: string, prefix = ''): CustomStrategy => ({
  strategy: new PrefixedServerNats({ servers, queue, name, reconnect: true, maxReconnectAttempts: -1, serializer: new JsonTextNatsSerializer() }, prefix),
});
