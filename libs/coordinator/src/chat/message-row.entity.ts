import { Column, Entity, PrimaryColumn } from 'typeorm';

/** The messages read model: one row per chat message, as the messages projection wrote it. */
@Entity({ name: 'messages' })
export class MessageRow {
  @PrimaryColumn({ name: 'message_id', type: 'uuid' }) messageId!: string;
  @Column({ name: 'thread_id', type: 'uuid' }) threadId!: string;
  /** The thread's project; null while the thread has none (a later tie files the row under it too). */
  @Column({ name: 'project_id', type: 'uuid', nullable: true }) projectId!: string | null;
  @Column({ name: 'task_id', type: 'uuid', nullable: true }) taskId!: string | null;
  @Column({ name: 'sender_id', type: 'uuid' }) senderId!: string;
  @Column({ name: 'message_type', type: 'text' }) messageType!: string;
  @Column({ type: 'jsonb' }) payload!: Record<string, unknown>;
  @Column({ name: 'posted_at', type: 'timestamptz' }) postedAt!: Date;
  /** Zero-based place in the thread: the event's revision in `thread-<threadId>`. */
  @Column({ type: 'integer' }) sequence!: number;
  /** The event's global position: breaks ties between threads posting in the same millisecond. */
  @Column({ type: 'bigint' }) position!: string;
}
