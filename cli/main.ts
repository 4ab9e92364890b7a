#!/usr/bin/env node
/**
 * The cronlock command. Run it on Node.js 24 or later: bin/cronlock picks the project's own
 * Node.js (the `node` devDependency) when the one on PATH is older.
 */
import { Command, CommanderError } from 'commander';
import { ConfigurationError, CronlockError, InvalidInputError } from '../functions/shared/errors.ts';
import { registerGraphCommand } from './commands/graph.ts';
import { registerHistoryCommand } from './commands/history.ts';
import { registerReleaseCommand } from './commands/release.ts';
import { registerRunCommand } from './commands/run.ts';
import { registerStatusCommand } from './commands/status.ts';
import { registerDemoCommand } from './demo-command.ts';
import { CliError, EXIT_CODES } from './exit-codes.ts';
import { registerLocalCommands } from './local-command.ts';
import { writeNote } from './output.ts';

export function createProgram(): Command {
  const program = new Command('cronlock')
    .description('Run the WHMCS cron at most once at a time: the Step Functions workflow, locally and in AWS')
    .showHelpAfterError()
    .exitOverride();
  registerLocalCommands(program);
  registerDemoCommand(program);
  registerStatusCommand(program);
  registerReleaseCommand(program);
  registerRunCommand(program);
  registerHistoryCommand(program);
  registerGraphCommand(program);
  return program;
}

try {
  await createProgram().parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    process.exitCode = error.exitCode === 0 ? EXIT_CODES.success : EXIT_CODES.usage;
  } else if (error instanceof CliError) {
    writeNote(`cronlock: ${error.message}`);
    process.exitCode = error.exitCode;
  } else if (error instanceof CronlockError) {
    writeNote(`cronlock: ${error.message}`);
    // Bad input or settings are usage errors; a lock store or AWS fault is a failure.
    const usage = error instanceof InvalidInputError || error instanceof ConfigurationError;
    process.exitCode = usage ? EXIT_CODES.usage : EXIT_CODES.failure;
  } else {
    throw error;
  }
}
