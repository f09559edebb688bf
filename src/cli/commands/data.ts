import path from 'node:path';
import { createDownloadReporter, ensureCifar10 } from '../../data/index.js';
import { cliConfig } from '../config.js';
import { UsageError } from '../errors.js';
import { parseCommandArgs } from '../parse-args.js';
import { shownPath } from '../paths.js';
import type { CliIo, Command } from '../types.js';

const USAGE = 'autograder data fetch [--dir DIR] [--url URL] [--md5 HEX]';

const HELP = `Usage: ${USAGE}

Downloads the CIFAR-10 binary archive, checks its md5, and extracts data_batch_1.bin …
data_batch_5.bin, test_batch.bin and batches.meta.txt into DIR. The directory appears complete
or not at all; an interrupted download resumes where it stopped when run again. grade and
calibrate do this by themselves on first use; this command fetches ahead of time.

  --dir DIR   where the files go (default: AUTOGRADER_CIFAR10_DIR, else
              $XDG_CACHE_HOME or ~/.cache, then cifar10-autograder/cifar-10-batches-bin)
  --url URL   the archive (default: AUTOGRADER_CIFAR10_URL, else the official
              https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz)
  --md5 HEX   its md5 (default: AUTOGRADER_CIFAR10_MD5, else the official archive's)

Exit status: 0 the data is in DIR, 1 the download or a check failed, 2 usage error.`;

async function run(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs({
    args,
    allowPositionals: true,
    options: {
      dir: { type: 'string' },
      url: { type: 'string' },
      md5: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    io.stdout(`${HELP}\n`);
    return 0;
  }
  if (positionals.length !== 1 || positionals[0] !== 'fetch') {
    throw new UsageError(
      positionals.length === 0
        ? 'expected a subcommand: fetch'
        : `unknown subcommand "${positionals.join(' ')}"; expected fetch`,
    );
  }
  const config = cliConfig(io);
  const url = values.url ?? config.cifar10Url;
  if (!/^https?:\/\/[^/]+/.test(url)) {
    throw new UsageError(`--url must be an http:// or https:// URL, got "${url}"`);
  }
  const md5 = (values.md5 ?? config.cifar10Md5).toLowerCase();
  if (!/^[0-9a-f]{32}$/.test(md5)) {
    throw new UsageError(`--md5 must be 32 hexadecimal digits, got "${values.md5}"`);
  }
  const dir = values.dir === undefined ? config.cifar10Dir : path.resolve(io.cwd, values.dir);

  const reporter = createDownloadReporter({ isTTY: io.isTTY, write: io.stdout, label: 'CIFAR-10' });
  let fetched: boolean;
  try {
    ({ fetched } = await ensureCifar10(dir, {
      url,
      md5,
      onProgress: (progress) => reporter.update(progress),
      log: (line) => io.stdout(`${line}\n`),
    }));
  } finally {
    reporter.finish();
  }
  if (!fetched) io.stdout(`CIFAR-10 is already in ${shownPath(io, dir)}; nothing to fetch.\n`);
  return 0;
}

export const command: Command = {
  usage: USAGE,
  run,
};
