/**
 * Measures what one training step keeps in memory on tfjs (wasm), against the static estimate:
 * the engine's peak tensor bytes during the step above what was held before it (tf.profile),
 * and how far the wasm heap grew. Usage: npx tsx bench/activation-memory.ts [--batch N]
 */

import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { analyzeLayers } from '../src/spec/analyze.js';
import { estimateExperiment } from '../src/spec/resources.js';
import type { Layer, Submission } from '../src/spec/types.js';
import { selectBackend } from '../src/train/backend.js';
import { createModel } from '../src/train/model.js';
import { createOptimizer } from '../src/train/optimizers.js';

function example(name: string): Layer[] {
  const url = new URL(`../rubric/examples/${name}.json`, import.meta.url);
  const sub = JSON.parse(readFileSync(url, 'utf8')) as Submission;
  return sub.experiments[0]?.layers ?? [];
}

const conv = (out: number, extra: Record<string, unknown> = {}): Layer =>
  ({ type: 'Conv2d', out_channels: out, kernel_size: 3, padding: 1, ...extra }) as Layer;
const bn: Layer = { type: 'BatchNorm2d' };
const relu: Layer = { type: 'ReLU' };
const pool: Layer = { type: 'MaxPool2d', kernel_size: 2 };
const flat: Layer = { type: 'Flatten' };
const lin = (n: number): Layer => ({ type: 'Linear', out_features: n });

export const NETS: Record<string, Layer[]> = {
  convnet: example('convnet'),
  'resnet-small': example('resnet-small'),
  'vgg-bn': [
    conv(32),
    bn,
    relu,
    pool,
    conv(64),
    bn,
    relu,
    pool,
    conv(128),
    bn,
    relu,
    pool,
    flat,
    lin(10),
  ],
  'conv-relu-only': [
    conv(32, { bias: false }),
    relu,
    conv(32, { bias: false }),
    relu,
    pool,
    flat,
    lin(10),
  ],
  'conv-bias': [conv(32), conv(32), pool, flat, lin(10)],
  'bn-only': [conv(16, { bias: false }), bn, bn, bn, pool, flat, lin(10)],
  dropout: [
    conv(16, { bias: false }),
    { type: 'Dropout', p: 0.5 },
    { type: 'Dropout2d', p: 0.2 },
    pool,
    flat,
    lin(10),
  ],
  padded: [
    { type: 'Conv2d', out_channels: 1, kernel_size: 1, padding: 40 } as Layer,
    { type: 'Conv2d', out_channels: 16, kernel_size: 1 } as Layer,
    { type: 'AdaptiveAvgPool2d', output_size: 4 } as Layer,
    flat,
    lin(10),
  ],
  mlp: [flat, lin(100), relu, lin(10)],
  activations: [
    conv(16, { bias: false }),
    { type: 'GELU' },
    { type: 'SiLU' },
    { type: 'LeakyReLU' },
    { type: 'Tanh' },
    { type: 'Sigmoid' },
    { type: 'ELU' },
    pool,
    flat,
    lin(10),
  ] as Layer[],
  pools: [
    conv(16, { bias: false }),
    { type: 'MaxPool2d', kernel_size: 3, stride: 1, padding: 1 },
    { type: 'AvgPool2d', kernel_size: 3, stride: 2, padding: 1 },
    { type: 'AdaptiveAvgPool2d', output_size: 24 },
    { type: 'AdaptiveAvgPool2d', output_size: 6 },
    flat,
    lin(10),
  ] as Layer[],
  'grouped-strided': [
    conv(16),
    conv(32, { groups: 4, stride: 2 }),
    conv(32, { groups: 32 }),
    conv(32, { kernel_size: 5, padding: 4, dilation: 2 }),
    {
      type: 'Residual',
      body: [conv(32), relu],
      shortcut: [conv(32, { kernel_size: 1, padding: 0 })],
    },
    pool,
    flat,
    { type: 'BatchNorm1d' },
    { type: 'Dropout', p: 0.3 },
    lin(10),
  ] as Layer[],
};

async function main(): Promise<void> {
  const batchArg = process.argv.indexOf('--batch');
  const batch = batchArg > 0 ? Number(process.argv[batchArg + 1]) : 32;
  const info = await selectBackend('wasm');
  const heap = (): number => {
    const backend = tf.backend() as unknown as { wasm?: { HEAPU8: Uint8Array } };
    return backend.wasm?.HEAPU8.buffer.byteLength ?? 0;
  };
  console.log(`backend ${info.name}, batch ${batch}`);
  for (const [name, layers] of Object.entries(NETS)) {
    const analysis = analyzeLayers(layers, '/layers');
    const model = createModel(layers, { seed: 1 });
    const optimizer = createOptimizer({
      optimizer: 'adam',
      lr: 1e-3,
      momentum: 0,
      weight_decay: 0,
    });
    const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const images = new Float32Array(batch * 3072).fill(0.5);
    const labels = new Int32Array(batch).fill(3);
    const step = (): tf.Tensor =>
      tf.tidy(() => {
        const x = tf.tensor4d(images, [batch, 32, 32, 3]);
        const y = tf.tensor1d(labels, 'int32');
        const { value, grads } = tf.variableGrads(() => {
          const logits = model.apply(x, { training: true }) as tf.Tensor2D;
          return tf.losses.softmaxCrossEntropy(tf.oneHot(y, 10), logits) as tf.Scalar;
        }, variables);
        optimizer.step(
          variables,
          variables.map((v) => grads[v.name] as tf.Tensor),
        );
        return value;
      });
    step().dispose(); // optimizer state and kernels warmed up
    const before = tf.memory().numBytes;
    const heapBefore = heap();
    const profile = await tf.profile(() => step());
    const peak = profile.peakBytes - before;
    const estimate = estimateExperiment(
      layers,
      {
        name,
        params: analysis.params,
        macs: analysis.macs,
        outputShape: analysis.outputShape ?? [],
        layers: analysis.rows,
      },
      '',
      batch,
      1,
    ).stepMemoryBytes;
    const measured = peak + before;
    console.log(
      `${name.padEnd(16)} measured ${(measured / 2 ** 20).toFixed(1).padStart(8)} MiB  estimate ${(estimate / 2 ** 20).toFixed(1).padStart(8)} MiB  ratio ${(estimate / measured).toFixed(2)}  heap ${(heapBefore / 2 ** 20).toFixed(0)}→${(heap() / 2 ** 20).toFixed(0)} MiB`,
    );
    model.dispose();
    optimizer.dispose();
  }
}

await main();
