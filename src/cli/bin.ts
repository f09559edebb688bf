import { main } from './main.js';

const code = await main(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  isTTY: Boolean(process.stdout.isTTY),
  env: process.env,
  cwd: process.cwd(),
});
// The command is over; a multi-threaded wasm backend's worker pool can keep the event loop
// alive after it, so leave as soon as the output is flushed.
process.stdout.write('', () => process.exit(code));
