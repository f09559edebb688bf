import { describe, expect, it } from 'vitest';
import { DEFAULT_RUBRIC } from '../../src/rubric/default-rubric.js';
import { analyzeLayers, type Layer } from '../../src/spec/index.js';

const conv = (out: number, extra: Partial<Layer> = {}): Layer =>
  ({ type: 'Conv2d', out_channels: out, kernel_size: 3, padding: 1, ...extra }) as Layer;
const relu: Layer = { type: 'ReLU' };
const pool: Layer = { type: 'MaxPool2d', kernel_size: 2 };
const flatten: Layer = { type: 'Flatten' };
const linear = (out: number, extra: Partial<Layer> = {}): Layer =>
  ({ type: 'Linear', out_features: out, ...extra }) as Layer;

/** Mistakes students make, and the sentence each must produce (at layers/<index>). */
const MISTAKES: Array<{ description: string; data: Layer[]; index: string; message: string }> = [
  {
    description: 'in_features from the notebook after an extra pooling stage',
    data: [
      conv(4),
      relu,
      pool,
      conv(8),
      relu,
      pool,
      conv(16),
      relu,
      pool,
      flatten,
      linear(10, { in_features: 4096 }),
    ],
    index: '10',
    message:
      'layers/10 (Linear): in_features is 4096 but 256 features arrive (16 channels × 4 × 4 after three MaxPool2d)',
  },
  {
    description: 'in_features after a strided convolution and an average pool',
    data: [
      conv(8, { stride: 2 }),
      { type: 'AvgPool2d', kernel_size: 2 },
      flatten,
      linear(10, { in_features: 2048 }),
    ],
    index: '3',
    message:
      'layers/3 (Linear): in_features is 2048 but 512 features arrive (8 channels × 8 × 8 after one strided Conv2d and one AvgPool2d)',
  },
  {
    description: 'in_features with no downsampling',
    data: [conv(2), flatten, linear(10, { in_features: 100 })],
    index: '2',
    message:
      'layers/2 (Linear): in_features is 100 but 2048 features arrive (2 channels × 32 × 32 with no downsampling)',
  },
  {
    description: 'in_channels copied from the wrong layer',
    data: [conv(8), pool, conv(16, { in_channels: 16 })],
    index: '2',
    message:
      'layers/2 (Conv2d): in_channels is 16 but 8 channels arrive (8×16×16 from layers/1 (MaxPool2d))',
  },
  {
    description: 'in_channels of the first layer',
    data: [conv(8, { in_channels: 1 })],
    index: '0',
    message: 'layers/0 (Conv2d): in_channels is 1 but 3 channels arrive (the 3×32×32 input image)',
  },
  {
    description: 'a convolution after Flatten',
    data: [flatten, conv(4)],
    index: '1',
    message:
      'layers/1 (Conv2d): Conv2d needs a C×H×W input, but it receives 3072 features (3 channels × 32 × 32 with no downsampling); put it before the Flatten',
  },
  {
    description: 'a kernel larger than what is left of the image',
    data: [pool, pool, pool, pool, conv(4, { kernel_size: 5, padding: 0 })],
    index: '4',
    message:
      'layers/4 (Conv2d): its 5×5 kernel is larger than the 2×2 padded input (2×2 arrive), so no output remains',
  },
  {
    description: 'BatchNorm2d with the channels of another layer',
    data: [conv(8), { type: 'BatchNorm2d', num_features: 16 }],
    index: '1',
    message:
      'layers/1 (BatchNorm2d): num_features is 16 but 8 channels arrive (8×32×32 from layers/0 (Conv2d))',
  },
  {
    description: 'a Residual whose shortcut does not downsample',
    data: [
      conv(8),
      {
        type: 'Residual',
        body: [conv(8, { stride: 2 })],
        shortcut: [{ type: 'Conv2d', out_channels: 8, kernel_size: 1 }],
      },
    ],
    index: '1',
    message:
      'layers/1 (Residual): the body outputs 8×16×16 but the shortcut outputs 8×32×32; body and shortcut must have the same shape to be added',
  },
  {
    description: 'a pool window too large in one dimension',
    data: [{ type: 'AvgPool2d', kernel_size: [40, 2], padding: 0 }],
    index: '0',
    message: "layers/0 (AvgPool2d): kernel_size [40, 2] is larger than the rubric's limit of 32",
  },
];

describe('analyzeLayers', () => {
  it.each(MISTAKES)('explains $description', ({ data, index, message }) => {
    // Act
    const analysis = analyzeLayers(data, '/experiments/0/layers');
    // Assess
    expect(analysis.errors).toContainEqual({ path: `/experiments/0/layers/${index}`, message });
  });

  it('infers in_channels, in_features and num_features when they are left out', () => {
    // Prepare
    const layers: Layer[] = [
      conv(8),
      { type: 'BatchNorm2d' },
      relu,
      pool,
      flatten,
      { type: 'BatchNorm1d' },
      linear(10),
    ];
    // Act
    const analysis = analyzeLayers(layers, '/layers');
    // Assess: Conv2d 8·3·3·3 + 8, BatchNorm2d 2·8, BatchNorm1d 2·(8·16·16), Linear 2048·10 + 10.
    expect(analysis.errors).toEqual([]);
    expect(analysis.params).toBe(8 * 27 + 8 + 2 * 8 + 2 * 2048 + 2048 * 10 + 10);
    expect(analysis.outputShape).toEqual([10]);
  });

  it('lists a Residual block before its indented body and shortcut rows, with their sums', () => {
    // Prepare
    const block: Layer = {
      type: 'Residual',
      body: [conv(16, { stride: 2 }), relu, { type: 'Residual', body: [conv(16)] }],
      shortcut: [{ type: 'Conv2d', out_channels: 16, kernel_size: 1, stride: 2, bias: false }],
    };
    // Act
    const analysis = analyzeLayers([conv(8), block], '/layers');
    // Assess
    expect(analysis.errors).toEqual([]);
    expect(analysis.rows.map((r) => [r.path, r.type, r.depth, r.outputShape.join('×')])).toEqual([
      ['/layers/0', 'Conv2d', 0, '8×32×32'],
      ['/layers/1', 'Residual', 0, '16×16×16'],
      ['/layers/1/body/0', 'Conv2d', 1, '16×16×16'],
      ['/layers/1/body/1', 'ReLU', 1, '16×16×16'],
      ['/layers/1/body/2', 'Residual', 1, '16×16×16'],
      ['/layers/1/body/2/body/0', 'Conv2d', 2, '16×16×16'],
      ['/layers/1/shortcut/0', 'Conv2d', 1, '16×16×16'],
    ]);
    const [first, residual, ...inside] = analysis.rows;
    const direct = inside.filter((r) => r.depth === 1);
    expect(residual?.params).toBe(direct.reduce((sum, r) => sum + r.params, 0));
    expect(residual?.macs).toBe(direct.reduce((sum, r) => sum + r.macs, 0));
    expect(analysis.params).toBe((first?.params ?? 0) + (residual?.params ?? 0));
  });

  it('counts MACs per image as output positions times weights per position', () => {
    // Prepare: a grouped, strided convolution and a Linear.
    const layers: Layer[] = [
      conv(6, { groups: 3, stride: 2 }),
      flatten,
      linear(10, { bias: false }),
    ];
    // Act
    const analysis = analyzeLayers(layers, '/layers');
    // Assess: 16·16 positions × 6 outputs × (3/3)·3·3, then 1536 × 10.
    expect(analysis.macs).toBe(16 * 16 * 6 * 9 + 1536 * 10);
    expect(analysis.params).toBe(6 * 9 + 6 + 1536 * 10);
  });

  it('takes its limits from the rubric it is given', () => {
    // Prepare
    const limits = { ...DEFAULT_RUBRIC.limits, max_channels: 4 };
    // Act
    const analysis = analyzeLayers([conv(8)], '/layers', { limits });
    // Assess
    expect(analysis.errors[0]?.message).toBe(
      'layers/0 (Conv2d): out_channels is 8; the rubric allows at most 4 channels',
    );
  });

  it('starts from another input shape when asked', () => {
    // Act
    const analysis = analyzeLayers([flatten], '/layers', { input: [1, 28, 28] });
    // Assess
    expect(analysis.outputShape).toEqual([784]);
  });
});
