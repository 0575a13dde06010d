import 'reflect-metadata';
import { runServiceProcess } from '@autocoder/service';
import { runnerService } from '@autocoder/runner';

/** The runner as its own process: serves its NATS subjects in the `runner` queue group and drives runs. */
runServiceProcess(runnerService);
