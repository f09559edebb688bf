import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, stat, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { REPO } from './doc-blocks.js';

/** What the checkout's top level holds that commands only read: linked, not copied. */
const LINKED = [
  'bench',
  'bin',
  'cdk',
  'cdk.json',
  'dist',
  'functions',
  'grader-image',
  'packages',
  'scripts',
  'src',
  'tsconfig.build.json',
  'tsconfig.json',
];

/**
 * A folder laid out like the user's checkout after `npm ci`: the code and installed packages
 * linked from this one, `rubric/` copied (commands write result files beside the examples), and
 * `autograder` on `node_modules/.bin`, where `npx autograder` finds it.
 */
export async function makeWorkspace(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'autograder-journeys-'));
  for (const name of LINKED) await symlink(path.join(REPO, name), path.join(dir, name));
  await cp(path.join(REPO, 'rubric'), path.join(dir, 'rubric'), { recursive: true });
  const modules = path.join(dir, 'node_modules');
  await mkdir(path.join(modules, '.bin'), { recursive: true });
  for (const entry of await readdir(path.join(REPO, 'node_modules'))) {
    if (entry === '.bin') continue;
    await symlink(path.join(REPO, 'node_modules', entry), path.join(modules, entry));
  }
  for (const bin of await readdir(path.join(REPO, 'node_modules', '.bin'))) {
    await symlink(path.join(REPO, 'node_modules', '.bin', bin), path.join(modules, '.bin', bin));
  }
  await symlink(path.join(REPO, 'bin', 'autograder.js'), path.join(modules, '.bin', 'autograder'));
  await mkdir(path.join(dir, 'home'), { recursive: true });
  return dir;
}

export interface CommandRun {
  command: string;
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A documented command started with bash, as a user's shell would, its output collected. */
export function startCommand(
  command: string,
  options: { cwd: string; env: NodeJS.ProcessEnv; detached?: boolean },
): {
  child: ChildProcessByStdio<null, Readable, Readable>;
  stdout: () => string;
  stderr: () => string;
} {
  const child = spawn('bash', ['-c', command], {
    cwd: options.cwd,
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.detached ?? false,
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  return { child, stdout: () => stdout, stderr: () => stderr };
}

/** Runs one documented command to its end in the workspace. */
export function runCommand(
  command: string,
  options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs?: number },
): Promise<CommandRun> {
  return new Promise((resolve, reject) => {
    const { child, stdout, stderr } = startCommand(command, options);
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 600_000);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ command, code, stdout: stdout(), stderr: stderr() });
    });
  });
}

/** A JavaScript stack frame in output: what a user must never be shown. */
export const STACK_FRAME = /^\s+at .+(?:\(.+:\d+:\d+\)|:\d+:\d+)$/m;

/**
 * The compiled CLI (`bin/autograder.js` runs dist/) must be at least as new as its sources, or
 * the journeys would test yesterday's code: rebuild when any source is newer.
 */
export async function distIsCurrent(): Promise<boolean> {
  const built = await stat(path.join(REPO, 'dist', 'src', 'cli', 'bin.js')).catch(() => undefined);
  if (!built) return false;
  const newest = async (dir: string): Promise<number> => {
    let latest = 0;
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) latest = Math.max(latest, await newest(full));
      else if (entry.name.endsWith('.ts') || entry.name.endsWith('.json'))
        latest = Math.max(latest, (await stat(full)).mtimeMs);
    }
    return latest;
  };
  const sources = Math.max(
    await newest(path.join(REPO, 'src')),
    await newest(path.join(REPO, 'rubric')),
    await newest(path.join(REPO, 'packages', 'tfjs-wasm-training', 'src')),
  );
  return sources <= built.mtimeMs;
}
