import { describe, expect, it } from 'vitest';
import { buildRejectedResult, escapeMarkdown, markdownCode } from '../../src/rubric/index.js';
import { validateSubmission } from '../../src/spec/index.js';
import { csvField } from '../../src/staff/index.js';

const HOSTILE = [
  'x|<img src=x onerror=alert(1)>',
  '`close` the span | and <script>alert(1)</script>',
  'line one\nline two | [link](javascript:alert(1))',
  '**bold** _it_ ![i](http://x/y.png) # heading',
];

/** A GFM table row's cells: split on every `|` not escaped with a backslash. */
function cellsOf(row: string): string[] {
  return row.split(/(?<!\\)\|/).slice(1, -1);
}

describe('one escaper per format for student-chosen text', () => {
  it.each(HOSTILE)('keeps %j inside one Markdown table cell as text', (text) => {
    // Act
    const row = `| ${markdownCode(text)} | ${escapeMarkdown(text)} |`;
    // Assess
    expect(cellsOf(row)).toHaveLength(2);
    expect(row).not.toContain('\n');
    expect(escapeMarkdown(text)).not.toMatch(/(?<!\\)[<>[\]`|]/);
    const code = markdownCode(text);
    expect(code.slice(1, -1)).not.toContain('`');
  });

  it.each([
    {
      description: 'a formula',
      value: '=HYPERLINK("http://x","y")',
      csv: `"'=HYPERLINK(""http://x"",""y"")"`,
    },
    { description: 'a leading plus', value: '+1+1', csv: "'+1+1" },
    { description: 'a leading minus', value: '-2+3', csv: "'-2+3" },
    { description: 'a leading at', value: '@SUM(A1)', csv: "'@SUM(A1)" },
    { description: 'a leading tab', value: '\t=1', csv: "'\t=1" },
    { description: 'a comma and quotes', value: 'a,"b"', csv: '"a,""b"""' },
    { description: 'a plain name', value: 'alice', csv: 'alice' },
  ])('writes $description into CSV as inert text', ({ value, csv }) => {
    // Act
    const field = csvField(value);
    // Assess
    expect(field).toBe(csv);
  });

  it("keeps a rejection's hostile JSON pointer inside its table cell, as Gradescope shows it", () => {
    // Prepare: an unknown key is reported at its own JSON pointer.
    const bytes = new TextEncoder().encode(
      JSON.stringify({
        assignment: 'cifar10-conv',
        experiments: [],
        final: 'a',
        'x|<img src=x onerror=alert(1)>': 1,
      }),
    );
    const { errors } = validateSubmission(bytes);
    // Act
    const result = buildRejectedResult({ errors });
    // Assess
    const rows = result.output.split('\n').filter((line) => line.startsWith('| `'));
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) expect(cellsOf(row)).toHaveLength(2);
    expect(result.output).toContain('\\|<img');
  });
});
