import { main } from '../../src/cli/main.js';
import { captureIo } from './io.js';

/** `autograder students add NAME --state STATE`, as staff run it: the token it prints once. */
export async function addStudent(state: string, name = 'alice'): Promise<string> {
  const io = captureIo();
  const code = await main(['students', 'add', name, '--state', state], io);
  const token = io.out().split('\t')[1]?.trim();
  if (code !== 0 || !token) throw new Error(`students add ${name} failed: ${io.err()}`);
  return token;
}
