/** What the chat offers the rest of the coordinator (planning uses its actor rule and projection wait). */
export { chatActor, MessagesService, type AwaitProjection } from './messages-service';
export * from './thread';
