import { CreateAgents1763740000000 } from './1763740000000-create-agents';
import { CreateTasks1763750000000 } from './1763750000000-create-tasks';
import { CreateChatAndPlanning1763800000000 } from './1763800000000-create-chat-and-planning';
import { MessagesWithoutProject1764100000000 } from './1764100000000-messages-without-project';
import { ClaimNextOrder1764500000000 } from './1764500000000-claim-next-order';

/** In order: TypeORM runs the ones a database has not seen yet. */
export const coordinatorMigrations = [
  CreateAgents1763740000000,
  CreateTasks1763750000000,
  CreateChatAndPlanning1763800000000,
  MessagesWithoutProject1764100000000,
  ClaimNextOrder1764500000000,
];
