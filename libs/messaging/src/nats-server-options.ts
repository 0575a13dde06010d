import { Transport, type NatsOptions } from '@nestjs/microservices';

/** A service's NATS server: its instances join one queue group and share the requests. */
export const natsServerOptions = (servers: string, queue: string, name: string): NatsOptions => ({
  transport: Transport.NATS,
  options: { servers, queue, name, reconnect: true, maxReconnectAttempts: -1 },
});
