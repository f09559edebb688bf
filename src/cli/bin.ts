import { main } from './main.js';
import { runtimeNotice } from './runtime.js';

// On an unsupported Node, one line of ours instead of the AWS SDK's eight on every AWS call.
const notice = runtimeNotice(process.versions.node);
if (notice !== undefined) {
  process.stderr.write(`${notice}\n`);
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
}

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
