import { coordinatorService } from '@autocoder/coordinator';
import { runnerService } from '@autocoder/runner';
import { usageService } from '@autocoder/usage';
import type { RunningService, ServiceDefinition } from '@autocoder/service';

/** Every service `npm start` runs in one process, in start order. A new context adds its line here. */
export const SERVICES: readonly ServiceDefinition<RunningService>[] = [coordinatorService, runnerService, usageService];
