/**
 * Builds the students' page: one HTML file, one script (the page's code with the project's
 * own validator, bundled by esbuild) and one stylesheet. No external CDN, nothing inline, so
 * the Content-Security-Policy can forbid everything but the page's own origin.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PageBuildError } from '../service/errors.js';

export interface PageAsset {
  body: Uint8Array;
  contentType: string;
}

/** URL path (index.html, page.js, page.css) → content. */
export type PageAssets = Map<string, PageAsset>;

/** The page's sources, beside this file in the checkout (src/page/app). */
function appDir(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  // Compiled code runs from dist/src/page; the sources stay in src/page/app.
  const parts = here.split(path.sep);
  const dist = parts.lastIndexOf('dist');
  const root = dist >= 0 ? parts.slice(0, dist).join(path.sep) : path.resolve(here, '..', '..');
  return path.join(root, 'src', 'page', 'app');
}

/**
 * The page's headers, the same locally and on CloudFront. script-src 'self' with no
 * 'unsafe-inline' or 'unsafe-eval': the page has no inline script and the validator needs no
 * eval (its schema is compiled ahead of time).
 */
export const PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': PAGE_CSP,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=()',
};

export async function buildPage(options: { minify?: boolean } = {}): Promise<PageAssets> {
  const dir = appDir();
  let esbuild: typeof import('esbuild');
  try {
    esbuild = await import('esbuild');
  } catch {
    throw new PageBuildError(
      'the page is bundled with esbuild, which is not installed: run "npm ci" in the checkout',
    );
  }
  let script: Uint8Array;
  try {
    const result = await esbuild.build({
      entryPoints: [path.join(dir, 'main.ts')],
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: ['es2022'],
      minify: options.minify ?? true,
      write: false,
      logLevel: 'silent',
      legalComments: 'none',
    });
    script = result.outputFiles[0]?.contents ?? new Uint8Array();
  } catch (error) {
    throw new PageBuildError(`cannot bundle the page: ${(error as Error).message}`);
  }
  const [html, css] = await Promise.all([
    readFile(path.join(dir, 'index.html')),
    readFile(path.join(dir, 'page.css')),
  ]);
  return new Map([
    ['index.html', { body: html, contentType: 'text/html; charset=utf-8' }],
    ['page.js', { body: script, contentType: 'text/javascript; charset=utf-8' }],
    ['page.css', { body: css, contentType: 'text/css; charset=utf-8' }],
  ]);
}
