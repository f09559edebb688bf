import { describe, expect, it } from 'vitest';
import { DEFAULT_RUBRIC } from '../../src/rubric/default-rubric.js';
import { maxJsonDepth, validateSubmission } from '../../src/spec/index.js';

const encoder = new TextEncoder();
const layer = (type: string, extra: Record<string, unknown> = {}) => ({ type, ...extra });
const HEAD = [
  layer('Conv2d', { out_channels: 4, kernel_size: 3, padding: 1 }),
  layer('ReLU'),
  layer('MaxPool2d', { kernel_size: 2 }),
  layer('Flatten'),
  layer('Linear', { out_features: 10 }),
];
const submission = (
  overrides: Record<string, unknown> = {},
  experiment: Record<string, unknown> = {},
) =>
  JSON.stringify({
    assignment: 'cifar10-conv',
    experiments: [{ name: 'net', layers: HEAD, ...experiment }],
    final: 'net',
    ...overrides,
  });

/** A Residual nested `depth` deep around one ReLU, as JSON text (built as text: no recursion). */
function nestedResiduals(depth: number): string {
  const open = '{"type":"Residual","body":['.repeat(depth);
  const close = ']}'.repeat(depth);
  return `{"assignment":"cifar10-conv","final":"deep","experiments":[{"name":"deep","layers":[${open}{"type":"ReLU"}${close},{"type":"Flatten"},{"type":"Linear","out_features":10}]}]}`;
}

const limits = DEFAULT_RUBRIC.limits;

/** Hostile or broken inputs: each must be refused with an error at `path` whose message contains `says`. */
const HOSTILE: Array<{
  description: string;
  data: string | Uint8Array;
  path: string;
  says: string;
}> = [
  { description: 'an empty file', data: '', path: '', says: 'empty' },
  { description: 'only whitespace', data: ' \n\t ', path: '', says: 'empty' },
  {
    description: 'plain text',
    data: 'hello world',
    path: '',
    says: "line 1, column 1: expected a JSON value, found 'h'",
  },
  {
    description: 'binary bytes',
    data: new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0xff, 0x00]),
    path: '',
    says: 'not UTF-8',
  },
  { description: 'NUL bytes', data: new Uint8Array(64), path: '', says: 'U+0000' },
  {
    description: 'UTF-16 text',
    data: new Uint8Array([0xff, 0xfe, 0x7b, 0x00, 0x7d, 0x00]),
    path: '',
    says: 'UTF-16',
  },
  { description: 'a JSON array at the top', data: '[1, 2]', path: '', says: 'expected an object' },
  { description: 'a bare number', data: '42', path: '', says: 'expected an object' },
  {
    description: 'JSON with a comment',
    data: '{"assignment": "cifar10-conv" // me\n}',
    path: '',
    says: 'line 1, column 31',
  },
  { description: 'single-quoted strings', data: "{'a': 1}", path: '', says: 'double quotes' },
  { description: 'NaN', data: '{"a": NaN}', path: '', says: 'NaN is not a JSON value' },
  {
    description: 'an unterminated object',
    data: '{\n  "a": 1',
    path: '',
    says: 'ends inside an object opened at line 1, column 1',
  },
  {
    description: 'a duplicate key',
    data: '{"final": "a", "final": "b"}',
    path: '',
    says: 'duplicate key "final"',
  },
  {
    description: 'text after the object',
    data: '{} {}',
    path: '',
    says: 'after the end of the JSON value',
  },
  {
    description: 'a raw newline in a string',
    data: '{"a": "x\ny"}',
    path: '',
    says: 'control character (U+000A)',
  },
  { description: 'a bad escape', data: '{"a": "\\x41"}', path: '', says: 'invalid escape' },
  { description: 'a leading zero', data: '{"a": 012}', path: '', says: 'invalid number "012"' },
  {
    description: 'a top-level __proto__ key',
    data: submission({ __proto__: { polluted: true } }).replace(
      '"assignment"',
      '"__proto__":{"x":1},"assignment"',
    ),
    path: '/__proto__',
    says: '"__proto__" is not allowed',
  },
  {
    description: 'a constructor key in a layer',
    data: submission(
      {},
      { layers: [{ type: 'Flatten', constructor: 1 }, layer('Linear', { out_features: 10 })] },
    ),
    path: '/experiments/0/layers/0/constructor',
    says: '"constructor" is not allowed',
  },
  {
    description: 'an absurd channel count',
    data: submission(
      {},
      { layers: [layer('Conv2d', { out_channels: 1e300, kernel_size: 3 }), ...HEAD.slice(3)] },
    ),
    path: '/experiments/0/layers/0',
    says: 'the rubric allows at most 1,024 channels',
  },
  {
    description: 'a number that overflows to Infinity',
    data: submission().replace('"out_channels":4', '"out_channels":1e999'),
    path: '/experiments/0/layers/0/out_channels',
    says: 'out_channels is Infinity (too large a number); expected a whole number',
  },
  {
    description: 'a non-integer kernel size',
    data: submission().replace('"kernel_size":3', '"kernel_size":2.5'),
    path: '/experiments/0/layers/0/kernel_size',
    says: 'expected a positive integer, or [height, width]',
  },
  {
    description: 'a negative stride',
    data: submission().replace('"padding":1', '"padding":1,"stride":-2'),
    path: '/experiments/0/layers/0/stride',
    says: 'positive integer',
  },
  {
    description: 'an enormous padding',
    data: submission().replace('"padding":1', '"padding":100000000'),
    path: '/experiments/0/layers/0/padding',
    says: 'expected an integer ≥ 0',
  },
  {
    description: 'a kernel past the rubric limit',
    data: submission(
      {},
      {
        layers: [
          layer('Conv2d', { out_channels: 4, kernel_size: 33, padding: 16 }),
          ...HEAD.slice(3),
        ],
      },
    ),
    path: '/experiments/0/layers/0',
    says: "larger than the rubric's limit of 32",
  },
  {
    description: 'hundreds of thousands of layers',
    data: submission({}, { layers: Array.from({ length: 200_000 }, () => ({ type: 'ReLU' })) }),
    path: '',
    says: "larger than the rubric's limit",
  },
  {
    description: 'more layers than the rubric allows',
    data: submission(
      {},
      { layers: [...Array.from({ length: limits.max_layers }, () => ({ type: 'ReLU' })), ...HEAD] },
    ),
    path: '/experiments/0/layers',
    says: `the rubric allows at most ${limits.max_layers}`,
  },
  {
    description: 'Residual blocks nested thousands deep',
    data: nestedResiduals(5000),
    path: '',
    says: `Residual blocks may nest at most ${limits.max_depth} deep`,
  },
  {
    description: 'Residual blocks nested one past the limit',
    data: nestedResiduals(limits.max_depth + 1),
    path: `/experiments/0/layers/0${'/body/0'.repeat(limits.max_depth)}`,
    says: `nest ${limits.max_depth + 1} deep here; the rubric allows at most ${limits.max_depth}`,
  },
  {
    description: 'thousands of nested arrays',
    data: `${'['.repeat(100_000)}${']'.repeat(100_000)}`,
    path: '',
    says: `nesting is deeper than ${maxJsonDepth(DEFAULT_RUBRIC)} levels`,
  },
  {
    description: 'a file of tens of megabytes',
    data: new Uint8Array(30 * 1024 * 1024).fill(0x20),
    path: '',
    says: "larger than the rubric's limit of 262,144 bytes",
  },
  {
    description: 'too many experiments',
    data: JSON.stringify({
      assignment: 'cifar10-conv',
      experiments: Array.from({ length: limits.max_experiments + 1 }, (_, i) => ({
        name: `n${i}`,
        layers: HEAD,
      })),
      final: 'n0',
    }),
    path: '/experiments',
    says: `the rubric allows at most ${limits.max_experiments}`,
  },
  {
    description: 'every layer of every experiment wrong in several ways',
    data: JSON.stringify({
      assignment: 'cifar10-conv',
      experiments: Array.from({ length: limits.max_experiments }, (_, i) => ({
        name: `n${i}`,
        layers: Array.from({ length: limits.max_layers }, () => ({
          type: 'Conv2d',
          out_channels: 'x',
          kernel_size: 'y',
          stride: 'z',
          foo: 1,
        })),
      })),
      final: 'n0',
    }),
    path: '',
    says: 'more errors not shown; fix these first',
  },
  {
    description: 'no experiments',
    data: submission({ experiments: [] }),
    path: '/experiments',
    says: 'needs at least one experiment',
  },
  {
    description: 'a final that names nothing',
    data: submission({ final: 'nope' }),
    path: '/final',
    says: 'no experiment has that name',
  },
  {
    description: 'another assignment',
    data: submission({ assignment: 'mnist' }),
    path: '/assignment',
    says: 'this rubric grades "cifar10-conv"',
  },
  {
    description: 'a name with a path in it',
    data: submission({ final: '../x' }, { name: '../x' }),
    path: '/experiments/0/name',
    says: 'starting with a letter or digit',
  },
  {
    description: 'a very long name',
    data: submission({ final: 'n'.repeat(100) }, { name: 'n'.repeat(100) }),
    path: '/experiments/0/name',
    says: `at most ${limits.max_name_length}`,
  },
  {
    description: 'epochs set by the student',
    data: submission({}, { training: { epochs: 50 } }),
    path: '/experiments/0/training/epochs',
    says: 'epochs are fixed by the rubric (3)',
  },
  {
    description: 'an optimizer the format does not know',
    data: submission({}, { training: { optimizer: 'lbfgs' } }),
    path: '/experiments/0/training/optimizer',
    says: 'expected "adam", "adamw", "sgd"',
  },
  {
    description: 'a learning rate of zero',
    data: submission({}, { training: { lr: 0 } }),
    path: '/experiments/0/training/lr',
    says: 'greater than 0',
  },
  {
    description: 'a batch size past the rubric bound',
    data: submission({}, { training: { batch_size: 100_000 } }),
    path: '/experiments/0/training/batch_size',
    says: 'the rubric allows 8 to 512',
  },
  {
    description: 'momentum with Adam',
    data: submission({}, { training: { optimizer: 'adam', momentum: 0.9 } }),
    path: '/experiments/0/training/momentum',
    says: 'momentum applies to "sgd" only',
  },
  {
    description: 'a reported accuracy over 100%',
    data: submission({}, { reported: { test_accuracy: 420 } }),
    path: '/experiments/0/reported/test_accuracy',
    says: 'at most 100',
  },
  {
    description: 'a layer without a type',
    data: submission({}, { layers: [{ out_channels: 3 }, ...HEAD] }),
    path: '/experiments/0/layers/0',
    says: 'a layer needs a "type"',
  },
  {
    description: 'a misspelt property',
    data: submission(
      {},
      { layers: [layer('Conv2d', { out_channels: 4, kernal_size: 3 }), ...HEAD.slice(3)] },
    ),
    path: '/experiments/0/layers/0/kernal_size',
    says: 'did you mean "kernel_size"?',
  },
];

describe('hostile and broken input is refused cleanly', () => {
  it.each(HOSTILE)('$description', ({ data, path, says }) => {
    // Act
    const result = validateSubmission(typeof data === 'string' ? encoder.encode(data) : data);
    // Assess
    expect(result.valid).toBe(false);
    const error = result.errors.find((e) => e.path === path && e.message.includes(says));
    expect(error, JSON.stringify(result.errors, null, 1)).toBeDefined();
    expect(result.errors.length).toBeLessThanOrEqual(101);
  });

  it('accepts a UTF-8 byte-order mark', () => {
    // Prepare
    const bytes = encoder.encode(`\uFEFF${submission()}`);
    // Act
    const result = validateSubmission(bytes);
    // Assess
    expect(bytes[0]).toBe(0xef);
    expect(result.errors).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('accepts a string with a byte-order mark as well as bytes', () => {
    // Act
    const result = validateSubmission(`\uFEFF${submission()}`);
    // Assess
    expect(result.valid).toBe(true);
  });

  it('names the byte offset of invalid UTF-8', () => {
    // Prepare
    const bytes = encoder.encode('{"assignment": "cifar10-conv?"}');
    bytes[27] = 0xc3; // a lead byte followed by an ASCII byte
    // Act
    const result = validateSubmission(bytes);
    // Assess
    expect(result.errors[0]?.message).toContain('invalid byte 0xc3 at byte offset 27');
  });

  it('reports every error of a file with many, capped with a count of the rest', () => {
    // Prepare
    const bad = Array.from({ length: 150 }, () => ({
      type: 'Conv2d',
      out_channels: -1,
      kernel_size: 3,
    }));
    // Act
    const result = validateSubmission(submission({}, { layers: bad }));
    // Assess
    expect(result.errors).toHaveLength(101);
    expect(result.errors[100]?.message).toBe('... and 50 more errors not shown; fix these first');
  });

  it('does not pollute Object.prototype through __proto__ keys', () => {
    // Prepare
    const text =
      '{"__proto__": {"polluted": true}, "experiments": [{"__proto__": {"polluted": true}}]}';
    // Act
    validateSubmission(text);
    // Assess
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
