import 'reflect-metadata';
import { runServiceProcess } from '@autocoder/service';
import { usageService } from '@autocoder/usage';

/** The usage service as its own process: prices model calls, serves the `usage` subjects. */
runServiceProcess(usageService);
