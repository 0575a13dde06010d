import type { Logger } from '@autocoder/platform';
import { Module, type DynamicModule } from '@nestjs/common';
import { USAGE_LOGGER, UsageController } from './usage.controller';
import { UsageRuntime } from './usage-runtime';

@Module({})
export class UsageModule {
  static forRuntime(runtime: UsageRuntime, logger: Logger): DynamicModule {
    return {
      module: UsageModule,
      controllers: [UsageController],
      providers: [
        { provide: UsageRuntime, useValue: runtime },
        { provide: USAGE_LOGGER, useValue: logger },
      ],
    };
  }
}
