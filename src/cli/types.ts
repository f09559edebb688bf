/** Where a command writes; injected so tests capture output without spawning a process. */
export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** True when stdout is a terminal: progress bars redraw in place, else plain lines. */
  isTTY: boolean;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

/** A command's module; its name and one-line summary live in COMMANDS, so help needs no import. */
export interface Command {
  /** The usage line(s), printed with a usage error. */
  usage: string;
  /** Returns the exit code: 0 success, 1 a finding (invalid file, failed grade), 2 usage or unreadable. */
  run(args: string[], io: CliIo): Promise<number>;
}
