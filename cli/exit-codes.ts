/** Exit codes of the cronlock command, the same for every subcommand. */
export const EXIT_CODES = {
  /** Done: the execution succeeded, whether it ran the cron or skipped. */
  success: 0,
  /** The execution or the operation failed. */
  failure: 1,
  /** Bad usage or settings: nothing was run. */
  usage: 2,
  /** The lock is held by another execution (for commands where that is not a success). */
  lockBusy: 3,
} as const;

/** An error the CLI reports as one line and an exit code, without a stack trace. */
export class CliError extends Error {
  readonly exitCode: number;

  constructor(message: string, exitCode: number = EXIT_CODES.usage) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}
