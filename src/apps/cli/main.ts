import { Command, CommanderError } from 'commander';
import { AppError } from '../../platform/errors.js';
import { registerServeCommands } from './serve.js';
import { registerWorkspaceCommands } from './workspace.js';
import { registerImportCommands } from './import.js';
import { registerBenchCommands } from './bench.js';
import { registerWorkerCommand } from './worker.js';
import { wireModules } from '../../modules/wiring.js';

/** The `siyu` CLI: thin commands over the modules' public APIs. */
export async function main(argv: string[]): Promise<void> {
  wireModules();
  const program = new Command('siyu')
    .description('Siyu (私域): private-domain operations platform')
    .showHelpAfterError()
    .exitOverride();
  registerServeCommands(program);
  registerWorkspaceCommands(program);
  registerImportCommands(program);
  registerWorkerCommand(program);
  registerBenchCommands(program);
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode;
      return;
    }
    if (err instanceof AppError) {
      process.stderr.write(`siyu: ${err.message}\n`);
      for (const d of err.details) process.stderr.write(`  ${d.path ? `${d.path}: ` : ''}${d.message}\n`);
      process.exitCode = 1;
      return;
    }
    process.stderr.write(`siyu: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  }
}
