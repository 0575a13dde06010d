import type { Logger } from '@autocoder/platform';
import { Module, type DynamicModule } from '@nestjs/common';
import { RUNNER_LOGGER, RunnerController } from './runner.controller';
import { RunnerRuntime } from './runner-runtime';

@Module({})
export class RunnerModule {
  static forRuntime(runtime: RunnerRuntime, logger: Logger): DynamicModule {
    return {
      module: RunnerModule,
      controllers: [RunnerController],
      providers: [
        { provide: RunnerRuntime, useValue: runtime },
        { provide: RUNNER_LOGGER, useValue: logger },
      ],
    };
  }
}
