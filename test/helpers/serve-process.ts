import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../src/cli/bin.ts', import.meta.url));

export interface ServeProcess {
  url: string;
  /** Everything it printed so far. */
  stdout: () => string;
  stop: () => Promise<void>;
  /** kill -9: no cleanup, as a crash or the OOM killer would end it. */
  kill: () => Promise<void>;
}

/**
 * `autograder serve ARGS` as a child process (through tsx, from the sources), resolved once
 * it prints its first line, which must be "Listening on URL".
 */
export async function startServe(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<ServeProcess> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', BIN, 'serve', ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout?.setEncoding('utf8');
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    err += chunk;
  });
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (chunk: string) => {
      out += chunk;
      const newline = out.indexOf('\n');
      if (newline < 0) return;
      const first = out.slice(0, newline);
      const match = /^Listening on (http:\/\/127\.0\.0\.1:\d+)$/.exec(first);
      if (match?.[1]) resolve(match[1]);
      else reject(new Error(`serve's first line was "${first}"`));
    });
    child.once('exit', (code) =>
      reject(new Error(`serve exited with ${code} before listening: ${err}${out}`)),
    );
  });
  return {
    url,
    stdout: () => out,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      await exited;
    },
    kill: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGKILL');
      await exited;
    },
  };
}
