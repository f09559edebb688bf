import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('../..', import.meta.url));

/**
 * How the journeys treat a shell block, from an HTML comment on the line before its fence:
 * - no comment: run as written, in order, each command must exit 0;
 * - `<!-- journey: exits N -->`: run as written, each command must exit N (a demonstration of a
 *   rejection, say);
 * - `<!-- journey: synopsis -->`: a usage line with placeholders; its command and flags must exist;
 * - `<!-- journey: needs X -->`: cannot run offline (AWS, Docker, a GPU, the internet); the suite
 *   checks what it can offline (flags exist, `cdk deploy`'s app synthesizes) and runs the
 *   `--stack` staff commands against loopback fakes of AWS;
 * - `<!-- journey: slow -->`: minutes of work; its command and flags must exist.
 */
export type BlockMarker =
  | { kind: 'run'; exit: number }
  | { kind: 'synopsis' }
  | { kind: 'needs'; what: string }
  | { kind: 'slow' };

export interface DocCommand {
  /** The command as a user types it: continuation lines joined, the trailing comment dropped. */
  text: string;
  /** Where it starts, as `docs/staff.md:112`. */
  where: string;
}

export interface DocBlock {
  file: string;
  where: string;
  marker: BlockMarker;
  commands: DocCommand[];
}

/** The README and every page of docs/, in the order a newcomer reads them. */
export function documentedFiles(): string[] {
  const docs = readdirSync(path.join(REPO, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => `docs/${name}`);
  return ['README.md', ...docs];
}

function markerOf(line: string | undefined, where: string): BlockMarker {
  const match = /^<!-- journey: (.+) -->$/.exec(line?.trim() ?? '');
  if (!match?.[1]) return { kind: 'run', exit: 0 };
  const words = match[1].trim();
  const exits = /^exits (\d+)$/.exec(words);
  if (exits) return { kind: 'run', exit: Number(exits[1]) };
  if (words === 'synopsis') return { kind: 'synopsis' };
  if (words === 'slow') return { kind: 'slow' };
  if (words.startsWith('needs ')) return { kind: 'needs', what: words.slice('needs '.length) };
  throw new Error(`${where}: unknown journey marker "${words}"`);
}

/** Drops a trailing `# comment` that is outside quotes. */
function withoutComment(line: string): string {
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") {
      quote = c;
    } else if (c === '#' && (i === 0 || /\s/.test(line[i - 1] ?? ''))) {
      return line.slice(0, i).trimEnd();
    }
  }
  return line.trimEnd();
}

/** The fenced blocks of one Markdown file: every fence must name its language. */
export function blocksOf(file: string): { shell: DocBlock[]; untagged: string[] } {
  const lines = readFileSync(path.join(REPO, file), 'utf8').split('\n');
  const shell: DocBlock[] = [];
  const untagged: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const fence = /^```(\S*)\s*$/.exec(lines[i] ?? '');
    if (!fence) continue;
    const where = `${file}:${i + 1}`;
    const language = fence[1] ?? '';
    const body: { text: string; line: number }[] = [];
    let end = i + 1;
    while (end < lines.length && !/^```\s*$/.test(lines[end] ?? '')) {
      body.push({ text: lines[end] ?? '', line: end + 1 });
      end++;
    }
    if (language === '') untagged.push(where);
    if (language === 'sh') {
      const commands: DocCommand[] = [];
      let pending: { text: string; line: number } | undefined;
      for (const { text, line } of body) {
        const code = withoutComment(text);
        if (pending === undefined && code.trim() === '') continue;
        const continued = code.endsWith('\\');
        const piece = continued ? code.slice(0, -1).trimEnd() : code.trim();
        pending = pending
          ? { text: `${pending.text} ${piece.trim()}`, line: pending.line }
          : { text: piece, line };
        if (!continued) {
          commands.push({ text: pending.text.trim(), where: `${file}:${pending.line}` });
          pending = undefined;
        }
      }
      shell.push({ file, where, marker: markerOf(lines[i - 1], where), commands });
    }
    i = end;
  }
  return { shell, untagged };
}

/**
 * Splits a command into words as the shell would for the simple commands the docs show (no
 * expansions), keeping `a|b` and `[--flag X]` groups as they are written.
 */
export function wordsOf(command: string): string[] {
  return [...command.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3] ?? '');
}

/** Every `--flag` a synopsis or command names. */
export function flagsOf(command: string): string[] {
  return [
    ...new Set([...command.matchAll(/(?:^|[\s[|])(--[a-z][a-z0-9-]*)/g)].map((m) => m[1] ?? '')),
  ];
}
