import type { Layer } from '../src/spec/types.js';

/**
 * Networks of the kinds students hand in, beyond the course's narrow four: one per architecture
 * class, each with the batch size such a submission would use. Shared by the student-network
 * throughput bench, the step profile and the fidelity bench.
 */
export interface StudentNetwork {
  name: string;
  /** The architecture class it stands for, as the benchmark table names it. */
  kind: string;
  batch: number;
  layers: Layer[];
}

const conv = (out: number, extra: Partial<Extract<Layer, { type: 'Conv2d' }>> = {}): Layer => ({
  type: 'Conv2d',
  out_channels: out,
  kernel_size: 3,
  padding: 1,
  ...extra,
});
const bn: Layer = { type: 'BatchNorm2d' };
const relu: Layer = { type: 'ReLU' };
const maxPool: Layer = { type: 'MaxPool2d', kernel_size: 2 };

/** Conv → BatchNorm → ReLU, the block most BatchNorm networks repeat. */
const convBnRelu = (out: number, extra: Partial<Extract<Layer, { type: 'Conv2d' }>> = {}) => [
  conv(out, { bias: false, ...extra }),
  bn,
  relu,
];

/** A basic residual block; a strided 1×1 conv (with BatchNorm) on the shortcut when shapes change. */
const residual = (out: number, stride: number, projected: boolean): Layer[] => [
  {
    type: 'Residual',
    body: [...convBnRelu(out, { stride }), conv(out, { bias: false }), bn],
    ...(projected
      ? { shortcut: [conv(out, { kernel_size: 1, stride, padding: 0, bias: false }), bn] }
      : {}),
  },
  relu,
];

/** MobileNet's depthwise-separable block: 3×3 depthwise, then 1×1 pointwise, each with BN. */
const separable = (inChannels: number, out: number, stride: number): Layer[] => [
  ...convBnRelu(inChannels, { groups: inChannels, stride }),
  ...convBnRelu(out, { kernel_size: 1, padding: 0 }),
];

export const STUDENT_NETWORKS: readonly StudentNetwork[] = [
  {
    name: 'WidePlain',
    kind: 'wide plain convs (32–128 ch), MaxPool, Dropout',
    batch: 64,
    layers: [
      conv(32),
      relu,
      conv(32),
      relu,
      maxPool,
      conv(64),
      relu,
      conv(64),
      relu,
      maxPool,
      conv(128),
      relu,
      maxPool,
      { type: 'Flatten' },
      { type: 'Dropout', p: 0.5 },
      { type: 'Linear', out_features: 10 },
    ],
  },
  {
    name: 'VggBatchNorm',
    kind: 'BatchNorm after every conv, Dropout2d',
    batch: 128,
    layers: [
      ...convBnRelu(32),
      ...convBnRelu(32),
      maxPool,
      { type: 'Dropout2d', p: 0.1 },
      ...convBnRelu(64),
      ...convBnRelu(64),
      maxPool,
      { type: 'Dropout2d', p: 0.1 },
      ...convBnRelu(128),
      maxPool,
      { type: 'Flatten' },
      { type: 'Dropout', p: 0.3 },
      { type: 'Linear', out_features: 10 },
    ],
  },
  {
    name: 'ResNet',
    kind: 'residual blocks, strided and 1×1 shortcuts, AdaptiveAvgPool',
    batch: 128,
    layers: [
      ...convBnRelu(32),
      ...residual(32, 1, false),
      ...residual(64, 2, true),
      ...residual(128, 2, true),
      { type: 'AdaptiveAvgPool2d', output_size: 1 },
      { type: 'Flatten' },
      { type: 'Linear', out_features: 10 },
    ],
  },
  {
    name: 'MobileNet',
    kind: 'depthwise-separable convs, AdaptiveAvgPool',
    batch: 128,
    layers: [
      ...convBnRelu(32),
      ...separable(32, 64, 1),
      ...separable(64, 128, 2),
      ...separable(128, 128, 1),
      ...separable(128, 256, 2),
      { type: 'AdaptiveAvgPool2d', output_size: 1 },
      { type: 'Flatten' },
      { type: 'Linear', out_features: 10 },
    ],
  },
  {
    name: 'Grouped',
    kind: 'grouped convs (groups 4), AvgPool, batch 256',
    batch: 256,
    layers: [
      conv(32),
      relu,
      conv(64, { groups: 4 }),
      bn,
      relu,
      { type: 'AvgPool2d', kernel_size: 2 },
      conv(128, { groups: 4 }),
      bn,
      relu,
      { type: 'AvgPool2d', kernel_size: 2 },
      conv(128, { groups: 4, stride: 2 }),
      relu,
      { type: 'AdaptiveAvgPool2d', output_size: 2 },
      { type: 'Flatten' },
      { type: 'Dropout', p: 0.2 },
      { type: 'Linear', out_features: 10 },
    ],
  },
];

/**
 * The fidelity bench's BatchNorm network: ConvNet's shape with BatchNorm after each conv,
 * small enough to train 3 epochs on the full data in minutes.
 */
export const BATCH_NORM_FIDELITY_NETWORK: { name: string; layers: Layer[] } = {
  name: 'ConvNetBatchNorm',
  layers: [
    ...convBnRelu(16),
    maxPool,
    ...convBnRelu(32),
    maxPool,
    { type: 'Flatten' },
    { type: 'Linear', out_features: 10 },
  ],
};

export type StudentNetworkName = (typeof STUDENT_NETWORKS)[number]['name'];

/**
 * The seed-noise bench's residual network: a stem, one strided residual block with a projected
 * shortcut, and a pooled classifier; trains 3 epochs on the full data in minutes.
 */
export const RESIDUAL_NOISE_NETWORK: { name: string; layers: Layer[] } = {
  name: 'ResidualNet',
  layers: [
    ...convBnRelu(16),
    ...residual(32, 2, true),
    maxPool,
    { type: 'AdaptiveAvgPool2d', output_size: 2 },
    { type: 'Flatten' },
    { type: 'Linear', out_features: 10 },
  ],
};

/**
 * Small networks of the layer kinds the seed-noise bench's first six (the course's four,
 * ConvNetBatchNorm and ResidualNet) leave out: depthwise-separable and grouped convs, average
 * pooling, Dropout and Dropout2d, strided convs, the other activations, BatchNorm1d; sized to
 * train 3 epochs on the full data in minutes. The seed-noise bench measures them too, so the engine bias's spread
 * over networks (task 4.1's τ) is estimated from more than six networks and more kinds of layer.
 */
export const ENGINE_BIAS_NETWORKS: ReadonlyArray<{ name: string; layers: Layer[] }> = [
  {
    name: 'SeparableNet',
    layers: [
      ...convBnRelu(16),
      ...separable(16, 32, 2),
      ...separable(32, 64, 2),
      { type: 'AdaptiveAvgPool2d', output_size: 1 },
      { type: 'Flatten' },
      { type: 'Linear', out_features: 10 },
    ],
  },
  {
    name: 'GroupedAvgPool',
    layers: [
      conv(16),
      relu,
      conv(32, { groups: 4 }),
      bn,
      relu,
      { type: 'AvgPool2d', kernel_size: 2 },
      conv(64, { groups: 4 }),
      relu,
      { type: 'AvgPool2d', kernel_size: 2 },
      { type: 'AdaptiveAvgPool2d', output_size: 2 },
      { type: 'Flatten' },
      { type: 'Dropout', p: 0.2 },
      { type: 'Linear', out_features: 10 },
    ],
  },
  {
    name: 'DropoutConvNet',
    layers: [
      conv(16),
      relu,
      maxPool,
      { type: 'Dropout2d', p: 0.1 },
      conv(32),
      relu,
      maxPool,
      { type: 'Flatten' },
      { type: 'Dropout', p: 0.5 },
      { type: 'Linear', out_features: 10 },
    ],
  },
  {
    name: 'ActivationsNet',
    layers: [
      conv(16),
      { type: 'LeakyReLU', negative_slope: 0.1 },
      maxPool,
      conv(32),
      { type: 'GELU' },
      maxPool,
      { type: 'Flatten' },
      { type: 'Linear', out_features: 10 },
    ],
  },
  {
    name: 'StridedNet',
    layers: [
      conv(16, { stride: 2 }),
      { type: 'Tanh' },
      conv(32, { stride: 2 }),
      { type: 'ELU' },
      { type: 'Flatten' },
      { type: 'Linear', out_features: 10 },
    ],
  },
  {
    name: 'MlpBatchNorm',
    layers: [
      { type: 'Flatten' },
      { type: 'Linear', out_features: 96 },
      { type: 'BatchNorm1d' },
      { type: 'SiLU' },
      { type: 'Dropout', p: 0.2 },
      { type: 'Linear', out_features: 10 },
    ],
  },
];
