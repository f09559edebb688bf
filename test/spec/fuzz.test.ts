import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_RUBRIC } from '../../src/rubric/default-rubric.js';
import { LAYER_TYPES, type ValidationResult, validateSubmission } from '../../src/spec/index.js';

const example = JSON.parse(
  readFileSync(new URL('../../rubric/examples/resnet-small.json', import.meta.url), 'utf8'),
) as Record<string, unknown>;

/** The result's contract, whatever the input. */
function assertWellFormed(result: ValidationResult): void {
  expect(typeof result.valid).toBe('boolean');
  for (const error of result.errors) {
    expect(error.path === '' || error.path.startsWith('/')).toBe(true);
    expect(error.message.length).toBeGreaterThan(0);
    expect(error.message).not.toContain('internal error');
  }
  if (result.valid) {
    expect(result.errors).toEqual([]);
    for (const experiment of result.experiments) {
      expect(experiment.params).toBeLessThan(DEFAULT_RUBRIC.budget.max_params_exclusive);
      expect(experiment.outputShape).toEqual([10]);
    }
  } else {
    expect(result.errors.length).toBeGreaterThan(0);
  }
  expect(() => JSON.stringify(result)).not.toThrow();
}

/** Numbers a hostile or careless student might write. */
const anyNumber = fc.oneof(
  fc.integer({ min: -3, max: 40 }),
  fc.constantFrom(0, 1, 2, 3, 10, 1e300, -1e300, 2 ** 53 + 1, 0.5, 1.5, -0.0),
  fc.double(),
);
const anyValue = fc.oneof(
  anyNumber,
  fc.boolean(),
  fc.constantFrom('same', 'valid', 'x', null),
  fc.array(anyNumber, { maxLength: 3 }),
);

/** Layers that look like the format's, with fields drawn from plausible and absurd values. */
const layer: fc.Arbitrary<Record<string, unknown>> = fc.letrec<{ layer: Record<string, unknown> }>(
  (tie) => ({
    layer: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.record(
        {
          type: fc.constantFrom(...LAYER_TYPES, 'Conv3d', 'conv2d'),
          in_channels: anyValue,
          out_channels: anyValue,
          kernel_size: anyValue,
          stride: anyValue,
          padding: anyValue,
          dilation: anyValue,
          groups: anyValue,
          bias: fc.boolean(),
          in_features: anyValue,
          out_features: anyValue,
          output_size: anyValue,
          num_features: anyValue,
          p: anyValue,
          negative_slope: anyValue,
        },
        { requiredKeys: ['type'] },
      ),
      fc.record(
        {
          type: fc.constant('Residual'),
          body: fc.array(tie('layer'), { maxLength: 4 }),
          shortcut: fc.array(tie('layer'), { maxLength: 2 }),
        },
        { requiredKeys: ['type', 'body'] },
      ),
    ),
  }),
).layer;

const submission = fc.record({
  assignment: fc.constantFrom('cifar10-conv', 'other'),
  experiments: fc.array(
    fc.record(
      {
        name: fc.constantFrom('a', 'b', 'a', '', 'x'.repeat(80)),
        layers: fc.array(layer, { maxLength: 12 }),
        training: fc.record(
          {
            optimizer: fc.constantFrom('adam', 'sgd', 'rmsprop'),
            lr: anyValue,
            batch_size: anyValue,
            momentum: anyValue,
            epochs: anyValue,
          },
          { requiredKeys: [] },
        ),
        reported: fc.record({ params: anyValue, test_accuracy: anyValue }, { requiredKeys: [] }),
      },
      { requiredKeys: ['name', 'layers'] },
    ),
    { maxLength: 10 },
  ),
  final: fc.constantFrom('a', 'b', 'c'),
});

describe('validateSubmission never throws (property-based)', () => {
  it('on arbitrary bytes', () => {
    // Act & Assess
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => {
        assertWellFormed(validateSubmission(bytes));
      }),
      { numRuns: 500 },
    );
  });

  it('on arbitrary JSON values', () => {
    // Act & Assess
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        assertWellFormed(validateSubmission(JSON.stringify(value) ?? ''));
      }),
      { numRuns: 500 },
    );
  });

  it('on submission-shaped documents with absurd fields', () => {
    // Act & Assess
    fc.assert(
      fc.property(submission, (value) => {
        assertWellFormed(validateSubmission(JSON.stringify(value)));
      }),
      { numRuns: 1000 },
    );
  });

  it('on a valid example with one value replaced anywhere', () => {
    // Prepare: every path in the example, and a value to put there.
    const paths: Array<Array<string | number>> = [];
    const walk = (value: unknown, path: Array<string | number>): void => {
      paths.push(path);
      if (Array.isArray(value)) {
        value.forEach((v, i) => {
          walk(v, [...path, i]);
        });
      } else if (value && typeof value === 'object') {
        for (const [k, v] of Object.entries(value)) walk(v, [...path, k]);
      }
    };
    walk(example, []);
    // Act & Assess
    fc.assert(
      fc.property(
        fc.constantFrom(...paths.slice(1)),
        fc.oneof(anyValue, fc.jsonValue()),
        (path, replacement) => {
          const copy = structuredClone(example);
          let target: unknown = copy;
          for (const token of path.slice(0, -1))
            target = (target as Record<string | number, unknown>)[token];
          (target as Record<string | number, unknown>)[path.at(-1) as string | number] =
            replacement;
          assertWellFormed(validateSubmission(JSON.stringify(copy)));
        },
      ),
      { numRuns: 1000 },
    );
  });
});
