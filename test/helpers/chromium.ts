import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';

/** Debian's chromium package; playwright's own browser download cannot work offline. */
export const CHROMIUM = '/usr/bin/chromium';

/** The Chromium path, or undefined after saying on stderr that the suite is skipped. */
export function chromiumOrSkip(suite: string): string | undefined {
  if (existsSync(CHROMIUM)) return CHROMIUM;
  console.warn(
    `SKIPPED: ${suite}: needs headless Chromium at ${CHROMIUM} (apt-get install chromium; .ci/run installs it)`,
  );
  return undefined;
}

/** A headless Chromium with a fresh profile, quiet: no network of its own, no updates, no sync. */
export async function launchChromium(
  executablePath: string,
): Promise<{ context: BrowserContext; close: () => Promise<void> }> {
  const profile = await mkdtemp(path.join(tmpdir(), 'chromium-profile-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1100, height: 900 },
  });
  return {
    context,
    close: async () => {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}
