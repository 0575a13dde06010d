import { CommanderError } from 'commander';
import { CliError, ExitCodes } from './cli-error';
import { buildProgram } from './program';

/** `autocoder …`: the CLI's entry (tools/cli/bin/autocoder.js runs it). */
export async function main(argv: string[]): Promise<number> {
  // `autocoder logs <run> | head`: the reader left, nothing more to say.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    throw error;
  });
  const tty = process.stderr.isTTY === true;
  let progressShown = false;
  const clearProgress = () => {
    if (tty && progressShown) process.stderr.write('\r\x1b[2K');
    progressShown = false;
  };
  const program = buildProgram({
    out: (line) => {
      clearProgress();
      process.stdout.write(`${line}\n`);
    },
    err: (line) => {
      clearProgress();
      process.stderr.write(`${line}\n`);
    },
    progress: (line) => {
      if (tty) {
        process.stderr.write(`\r\x1b[2K${line}`);
        progressShown = true;
      } else {
        process.stderr.write(`${line}\n`);
      }
    },
  });
  program.exitOverride();
  try {
    await program.parseAsync(argv);
    clearProgress();
    return 0;
  } catch (error) {
    clearProgress();
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : ExitCodes.failed;
    if (error instanceof CliError) {
      process.stderr.write(`autocoder: ${error.message}\n`);
      return error.exitCode;
    }
    process.stderr.write(`autocoder: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return ExitCodes.failed;
  }
}

if (require.main === module) {
  void main(process.argv).then((code) => {
    process.exitCode = code;
  });
}
