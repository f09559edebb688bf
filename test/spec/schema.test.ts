import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { LAYER_TYPES, type LayerType } from '../../src/spec/index.js';
import { submissionFilesIn } from '../helpers/examples.js';

const rubricDir = fileURLToPath(new URL('../../rubric/', import.meta.url));
const schemaPath = path.join(rubricDir, 'submission.schema.json');
const schema = JSON.parse(readFileSync(schemaPath, 'utf8')) as {
  $schema: string;
  definitions: Record<
    string,
    {
      properties?: { type?: { const?: string; enum?: string[]; examples?: string[] } };
      oneOf?: Array<{ $ref: string }>;
    }
  >;
};

/** Every member of the LayerType union, checked by the compiler, so a new type cannot be forgotten. */
const ALL_TYPES: Record<LayerType, true> = {
  Conv2d: true,
  Linear: true,
  ReLU: true,
  LeakyReLU: true,
  ELU: true,
  GELU: true,
  SiLU: true,
  Sigmoid: true,
  Tanh: true,
  MaxPool2d: true,
  AvgPool2d: true,
  AdaptiveAvgPool2d: true,
  Flatten: true,
  BatchNorm2d: true,
  BatchNorm1d: true,
  Dropout: true,
  Dropout2d: true,
  Residual: true,
};

describe('the published submission schema', () => {
  it('is a draft-07 schema editors understand', () => {
    // Assess
    expect(schema.$schema).toBe('http://json-schema.org/draft-07/schema#');
  });

  it('has a branch for every layer type of the TypeScript types, and no other', () => {
    // Prepare
    const branches = (schema.definitions.layer?.oneOf ?? []).map(
      (ref) => ref.$ref.split('/').at(-1) ?? '',
    );
    const types = branches.flatMap((name) => {
      const tag = schema.definitions[name]?.properties?.type;
      return tag?.const !== undefined ? [tag.const] : (tag?.enum ?? []);
    });
    // Assess
    expect(types.sort()).toEqual(Object.keys(ALL_TYPES).sort());
    expect([...LAYER_TYPES].sort()).toEqual(Object.keys(ALL_TYPES).sort());
    expect(schema.definitions.layer?.properties?.type?.examples).toEqual([...LAYER_TYPES]);
  });

  it('is what every example points its $schema at', () => {
    // Prepare
    const files = [
      ...submissionFilesIn(path.join(rubricDir, 'examples')).map((f) =>
        path.join(rubricDir, 'examples', f),
      ),
      ...readdirSync(path.join(rubricDir, 'examples', 'broken')).map((f) =>
        path.join(rubricDir, 'examples', 'broken', f),
      ),
    ];
    // Act
    const targets = files.flatMap((file) => {
      const text = readFileSync(file, 'utf8');
      const match = /"\$schema"\s*:\s*"([^"]+)"/.exec(text);
      return match?.[1] ? [path.resolve(path.dirname(file), match[1])] : [];
    });
    // Assess: all but the deliberately unparsable one carry it.
    expect(targets.length).toBe(files.length - 1);
    expect(new Set(targets)).toEqual(new Set([schemaPath]));
  });
});
