/** Exit codes, so scripts can tell a refusal from an outage. */
export const ExitCodes = { failed: 1, unreachable: 2, unauthorized: 3, notFound: 4 } as const;

/** An error the CLI reports in one line (no stack) before exiting with its code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = ExitCodes.failed,
  ) {
    super(message);
    this.name = 'CliError';
  }
}
