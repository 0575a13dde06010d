import type { Logger } from '@autocoder/platform';
import { Module, type DynamicModule } from '@nestjs/common';
import { COORDINATOR_LOGGER, CoordinatorController } from './coordinator.controller';
import { CoordinatorRuntime } from './coordinator-runtime';
import { TasksController } from './tasks/tasks.controller';
import { MessagesController } from './chat/messages.controller';
import { DecisionsController } from './planning/decisions.controller';
import { PlansController } from './planning/plans.controller';

@Module({})
export class CoordinatorModule {
  static forRuntime(runtime: CoordinatorRuntime, logger: Logger): DynamicModule {
    return {
      module: CoordinatorModule,
      controllers: [CoordinatorController, TasksController, MessagesController, PlansController, DecisionsController],
      providers: [
        { provide: CoordinatorRuntime, useValue: runtime },
        { provide: COORDINATOR_LOGGER, useValue: logger },
      ],
    };
  }
}
