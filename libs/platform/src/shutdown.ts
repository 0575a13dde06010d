import type { Logger } from 'pino';

/** Runs the steps in order on SIGINT/SIGTERM, once; a second signal exits at once. */
export function onShutdown(logger: Logger, steps: (() => Promise<unknown>)[]) {
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) process.exit(1);
    stopping = true;
    logger.info({ signal }, 'shutting down');
    for (const step of steps) {
      try {
        await step();
      } catch (error) {
        logger.warn({ err: error }, 'shutdown step failed');
      }
    }
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

/** Fatal start-up errors: one clear line for people, one JSON line for the log. */
export function exitOnStartupError(logger: Logger, what: string) {
  return (error: unknown) => {
    logger.fatal({ err: error }, `${what} failed to start`);
    // eslint-disable-next-line no-console
    console.error(`${what} failed to start: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  };
}
