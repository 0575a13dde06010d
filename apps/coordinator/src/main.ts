import 'reflect-metadata';
import { coordinatorService } from '@autocoder/coordinator';
import { runServiceProcess } from '@autocoder/service';

/** The coordinator as its own process: serves its NATS subjects in the `coordinator` queue group. */
runServiceProcess(coordinatorService);
