import { closest } from '../spec/index.js';
import { COMMANDS } from './commands.js';
import { UsageError } from './errors.js';
import type { CliIo, Command } from './types.js';
import { packageVersion } from './version.js';

function helpText(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length), 8);
  const lines = Object.entries(COMMANDS).map(
    ([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`,
  );
  return `Usage: autograder <command> [options]\n\nCommands:\n${lines.join('\n')}\n\nRun "autograder <command> --help" for a command's options, "autograder --version" for the version.\n`;
}

/** Runs the CLI; never throws, never prints a stack trace. Returns the exit code. */
export async function main(argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    (name === undefined ? io.stderr : io.stdout)(helpText());
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-V' || name === 'version') {
    io.stdout(`${await packageVersion()}\n`);
    return 0;
  }
  const entry = COMMANDS[name];
  if (!entry) {
    const guess = closest(name, Object.keys(COMMANDS));
    io.stderr(
      guess
        ? `autograder: unknown command "${name}". Did you mean "${guess}"?\nRun "autograder --help" for the commands.\n`
        : `autograder: unknown command "${name}"\n\n${helpText()}`,
    );
    return 2;
  }
  let command: Command | undefined;
  try {
    command = await entry.load();
    return await command.run(rest, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`autograder ${name}: ${error.message}\n`);
      if (command) io.stderr(`Usage: ${command.usage}\n`);
      return 2;
    }
    const message = error instanceof Error ? error.message : String(error);
    io.stderr(`autograder ${name}: ${message}\n`);
    return 1;
  }
}
