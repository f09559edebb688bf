import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { importOnnx, placeholderPaths, withReported } from '../../src/import-onnx/index.js';
import {
  analyzeLayers,
  type LayerSummary,
  type Shape,
  validateSubmission,
} from '../../src/spec/index.js';

/** Written by test/fixtures/import-onnx/make_fixtures.py with Debian's PyTorch; committed. */
interface FixtureCase {
  file: string;
  network: string;
  export: 'preserve' | 'default' | 'train';
  params?: number;
  output_shape?: Shape;
  layers?: Array<{ type: string; shape: Shape }>;
  folded_params?: number;
  folded_layers?: Array<{ type: string; shape: Shape }>;
}

const fixtures = new URL('../fixtures/import-onnx/', import.meta.url);
const reference = JSON.parse(
  readFileSync(fileURLToPath(new URL('expected.json', fixtures)), 'utf8'),
) as { torch_version: string; cases: FixtureCase[] };

function model(file: string): Uint8Array {
  return new Uint8Array(readFileSync(fileURLToPath(new URL(file, fixtures))));
}

/** Rows in execution order, as PyTorch runs them: a Residual's sum after its branches. */
function executionOrder(rows: LayerSummary[]): Array<{ type: string; shape: Shape }> {
  const out: Array<{ type: string; shape: Shape }> = [];
  const pending: Array<{ row: LayerSummary }> = [];
  for (const row of rows) {
    while (pending.length > 0 && (pending.at(-1)?.row.depth ?? -1) >= row.depth) {
      const done = pending.pop() as { row: LayerSummary };
      out.push({ type: done.row.type, shape: done.row.outputShape });
    }
    if (row.type === 'Residual') pending.push({ row });
    else out.push({ type: row.type, shape: row.outputShape });
  }
  while (pending.length > 0) {
    const done = pending.pop() as { row: LayerSummary };
    out.push({ type: done.row.type, shape: done.row.outputShape });
  }
  return out;
}

/** What an eval-mode (or PRESERVE-in-eval) export holds: Dropout is left out. */
function exportedLayers(c: FixtureCase, layers: Array<{ type: string; shape: Shape }>) {
  return c.export === 'train' ? layers : layers.filter((l) => !l.type.startsWith('Dropout'));
}

const mappable = reference.cases.filter((c) => c.params !== undefined && !c.folded_params);

describe(`ONNX files exported by PyTorch ${reference.torch_version} import with PyTorch's figures`, () => {
  it('covers the course networks, residual, BatchNorm, grouped and activation networks', () => {
    // Assess
    expect(mappable.map((c) => c.network)).toEqual(
      expect.arrayContaining([
        'MLP',
        'ConvNet',
        'ConvNetSmall',
        'ConvNetTiny',
        'ResNet',
        'BatchNormNet',
        'DepthwiseNet',
        'ActivationsNet',
      ]),
    );
  });

  it.each(mappable.map((c) => [c.file, c] as const))(
    '%s: same parameter count and every layer’s output shape',
    (file, c) => {
      // Act
      const result = importOnnx(model(file), { name: 'imported' });
      // Assess
      if (!result.ok) throw new Error(result.error.message);
      const analysis = analyzeLayers(result.layers, '/layers');
      expect(analysis.errors).toEqual([]);
      expect(analysis.params).toBe(c.params);
      expect(analysis.outputShape).toEqual(c.output_shape);
      expect(executionOrder(analysis.rows)).toEqual(exportedLayers(c, c.layers ?? []));
    },
  );

  it.each(mappable.map((c) => [c.file, c] as const))(
    '%s: with the student’s figures the file passes the grader’s validator',
    (file, c) => {
      // Act
      const result = importOnnx(model(file), {
        name: 'mine',
        reported: { params: c.params, test_accuracy: 51.5 },
      });
      // Assess
      if (!result.ok) throw new Error(result.error.message);
      expect(result.placeholders).toEqual([]);
      const validation = validateSubmission(JSON.stringify(result.submission));
      const params = c.params ?? 0;
      if (params < 308_310) {
        expect(validation.errors).toEqual([]);
        expect(validation.experiments[0]?.params).toBe(c.params);
      } else {
        // The MLP baseline itself is not under its own budget: imported, then refused for that alone.
        expect(validation.errors.map((e) => e.message)).toEqual([
          'experiment "mine": 308,310 parameters; the budget is strictly fewer than 308,310 (the MLP baseline\'s count)',
        ]);
      }
    },
  );

  it('says that an eval-mode export has no Dropout, and keeps Dropout from a training-mode export', () => {
    // Act
    const evalMode = importOnnx(model('batchnorm.onnx'));
    const trainMode = importOnnx(model('batchnorm-train.onnx'));
    // Assess
    if (!evalMode.ok || !trainMode.ok) throw new Error('expected both to import');
    expect(evalMode.notes.map((n) => n.message).join('\n')).toContain(
      'PyTorch leaves Dropout out of eval-mode exports',
    );
    expect(JSON.stringify(evalMode.layers)).not.toContain('Dropout');
    expect(trainMode.layers).toContainEqual({ type: 'Dropout', p: 0.3 });
    expect(trainMode.notes.map((n) => n.message).join('\n')).not.toContain('Dropout');
  });
});

describe('BatchNorm folded into convolutions by an eval-mode export', () => {
  const folded = reference.cases.find((c) => c.folded_params !== undefined) as FixtureCase;

  it('is refused by default, naming the convolution and the export line that keeps BatchNorm', () => {
    // Act
    const result = importOnnx(model(folded.file));
    // Assess
    if (result.ok) throw new Error('expected a refusal');
    expect(result.error.node?.opType).toBe('Conv');
    expect(result.error.node?.index).toBe(2);
    expect(result.error.message).toMatch(
      /^ONNX node #2 "\/features\/features\.0\/Conv" \(Conv\): /,
    );
    expect(result.error.message).toContain('PyTorch folded a BatchNorm into this convolution');
    expect(result.error.message).toContain(
      'training=torch.onnx.TrainingMode.PRESERVE, do_constant_folding=False',
    );
    expect(result.error.foldedBatchNorm).toBe(true);
  });

  it('is imported as the folded convolutions when asked, with a warning that says so', () => {
    // Act
    const result = importOnnx(model(folded.file), { foldedBatchNorm: 'keep' });
    // Assess
    if (!result.ok) throw new Error(result.error.message);
    const analysis = analyzeLayers(result.layers, '/layers');
    expect(analysis.params).toBe(folded.folded_params);
    expect(executionOrder(analysis.rows)).toEqual(
      exportedLayers(folded, folded.folded_layers ?? []),
    );
    const warning = result.notes.find((n) => n.level === 'warning');
    expect(warning?.message).toContain('The folded convolutions were kept as they are');
  });

  it('is not suspected in the same network exported with TrainingMode.PRESERVE', () => {
    // Act
    const result = importOnnx(model('batchnorm.onnx'));
    // Assess
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.notes.filter((n) => n.level === 'warning')).toEqual([]);
  });
});

/** Networks the format cannot express: the node each is refused at, and what the message says. */
const UNMAPPABLE = [
  {
    file: 'lstm.onnx',
    node: { index: 22, name: '/lstm/LSTM', opType: 'LSTM' },
    says: ['recurrent layers (nn.LSTM) are not in the submission format', 'Transpose (#0)'],
  },
  {
    file: 'inception-concat.onnx',
    node: { index: 4, name: '/Concat', opType: 'Concat' },
    says: ['concatenating tensors (torch.cat) is not in the submission format'],
  },
  {
    file: 'upsample.onnx',
    node: { index: 3, name: '/net/net.2/Resize', opType: 'Resize' },
    says: ['upsampling (nn.Upsample, F.interpolate) is not in the submission format'],
  },
  {
    file: 'gated.onnx',
    node: { index: 4, name: '/Mul', opType: 'Mul' },
    says: ['joining two branches with Mul', 'only joins two branches by adding them'],
  },
  {
    file: 'softmax.onnx',
    node: { index: 5, name: '/net/net.5/Softmax', opType: 'Softmax' },
    says: ['must end with raw logits', 'remove the softmax before exporting'],
  },
  {
    file: 'ceil-pool.onnx',
    node: { index: 2, name: '/net/net.2/MaxPool', opType: 'MaxPool' },
    says: ['MaxPool2d(ceil_mode=True) is not in the submission format'],
  },
  {
    file: 'two-heads.onnx',
    node: undefined,
    says: ['the model has 2 outputs', 'returns one tensor, the 10 logits'],
  },
  {
    file: 'input-64.onnx',
    node: undefined,
    says: ['has the shape 1×3×64×64', 'torch.zeros(1, 3, 32, 32)'],
  },
];

describe('networks the submission format cannot express', () => {
  it('has a fixture for each case, exported by PyTorch', () => {
    // Assess
    const files = reference.cases.filter((c) => c.params === undefined).map((c) => c.file);
    expect(files.sort()).toEqual(UNMAPPABLE.map((u) => u.file).sort());
  });

  it.each(UNMAPPABLE.map((u) => [u.file, u] as const))(
    '%s is refused with the node, its op and what the format has instead',
    (file, u) => {
      // Act
      const result = importOnnx(model(file));
      // Assess
      if (result.ok) throw new Error('expected a refusal');
      expect(result.error.node).toEqual(u.node);
      if (u.node) {
        expect(result.error.message).toMatch(
          new RegExp(`^ONNX node #${u.node.index} "${u.node.name}" \\(${u.node.opType}\\): `),
        );
      }
      for (const phrase of u.says) expect(result.error.message).toContain(phrase);
      expect(result.error.message).not.toMatch(/\n\s+at /); // no stack trace
    },
  );
});

describe('the figures the student reports', () => {
  it('are placeholders the validator refuses, at their JSON paths, until filled in', () => {
    // Act
    const result = importOnnx(model('convnet.onnx'), { name: 'convnet' });
    // Assess
    if (!result.ok) throw new Error(result.error.message);
    expect(result.placeholders).toEqual([
      '/experiments/0/reported/params',
      '/experiments/0/reported/test_accuracy',
    ]);
    const validation = validateSubmission(JSON.stringify(result.submission));
    expect(validation.errors.map((e) => e.path)).toEqual(result.placeholders);
  });

  it('are filled in one at a time as the page rebuilds the file; a non-number stays a placeholder', () => {
    // Prepare
    const result = importOnnx(model('convnet.onnx'), { name: 'convnet' });
    if (!result.ok) throw new Error(result.error.message);
    // Act
    const partly = withReported(result.submission, { params: 42362, test_accuracy: Number.NaN });
    const fully = withReported(partly, { params: 42362, test_accuracy: 59.92 });
    // Assess
    expect(placeholderPaths(partly)).toEqual(['/experiments/0/reported/test_accuracy']);
    expect(placeholderPaths(fully)).toEqual([]);
    expect(validateSubmission(JSON.stringify(fully)).valid).toBe(true);
    expect(placeholderPaths(result.submission)).toHaveLength(2); // the original is untouched
  });
});
