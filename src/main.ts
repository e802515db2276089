import { CommanderError } from 'commander';
import { buildCli } from './cli.js';
import { EXIT, exitCodeOf, fileProblem, isDatabaseBusy, PairbotError } from './errors.js';
import { knownSecrets, redact } from './config.js';
import { interruption, stopOnSignals } from './interrupt.js';

/** The one place that catches errors and sets the exit code. */
async function main(argv: string[]): Promise<number> {
  let code: number = EXIT.ok;
  const program = buildCli((c) => (code = c)).exitOverride();
  for (const cmd of program.commands.flatMap((c) => [c, ...c.commands])) cmd.exitOverride();
  try {
    await program.parseAsync(argv);
    // A command that ended by itself after a stop signal came still ends as interrupted.
    const stopped = interruption();
    if (stopped) {
      process.stderr.write(`[pairbot] error: ${stopped.message}\n`);
      return stopped.exitCode;
    }
    return code;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version are not errors; everything else commander rejects is usage.
      return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    const secrets = [...knownSecrets];
    // Another process kept SQLite's write lock past the busy timeout (exit 1, see exitCodeOf).
    if (isDatabaseBusy(err)) {
      process.stderr.write('[pairbot] error: the database stayed locked by another process; nothing half-written, run again\n');
      return exitCodeOf(err);
    }
    if (err instanceof PairbotError) {
      process.stderr.write(`[pairbot] error: ${redact(err.message, secrets)}\n`);
      if (argv.includes('--verbose') && err.cause instanceof Error)
        process.stderr.write(`[pairbot]   cause: ${redact(err.cause.message, secrets)}\n`);
      return exitCodeOf(err);
    }
    const message = err instanceof Error ? (argv.includes('--verbose') ? (err.stack ?? err.message) : err.message) : String(err);
    process.stderr.write(`[pairbot] error: unexpected failure: ${redact(message, secrets)}\n`);
    return exitCodeOf(err);
  }
}

// `pairbot members | head`: a closed stdout is the reader's choice, not a failure. Any other
// (`export > file` on a full disk) is one error line, as every failure is, not a crash.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? EXIT.ok);
  process.stderr.write(`[pairbot] error: cannot write the output (stdout): ${fileProblem(err)}\n`);
  process.exit(EXIT.failed);
});

// SIGTERM and Ctrl-C stop a run at its next step, with its lock released (src/interrupt.ts).
stopOnSignals();
process.exitCode = await main(process.argv);
