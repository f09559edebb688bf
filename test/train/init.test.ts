import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Layer } from '../../src/spec/types.js';
import { convFanIn, torchDefaultBound } from '../../src/train/init.js';
import { createModel } from '../../src/train/model.js';
import { createRng, nextBelow, shuffleInPlace } from '../../src/train/rng.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Every weight of the model by layer class and weight name, e.g. "TorchConv2d/kernel". */
function weightsOf(layers: Layer[], seed: number): Map<string, Float32Array[]> {
  const model = createModel(layers, { seed });
  const weights = new Map<string, Float32Array[]>();
  for (const layer of [...model.layers].sort((a, b) => a.id - b.id)) {
    for (const weight of layer.weights) {
      const key = `${layer.getClassName()}/${weight.originalName.split('/').pop()}`;
      weights.set(key, [...(weights.get(key) ?? []), weight.read().dataSync() as Float32Array]);
    }
  }
  model.dispose();
  return weights;
}

function stats(values: Float32Array): { maxAbs: number; mean: number; std: number } {
  const mean = values.reduce((sum, v) => sum + v, 0) / values.length;
  const variance = values.reduce((sum, v) => sum + (v - mean) ** 2, 0) / values.length;
  return {
    maxAbs: values.reduce((max, v) => Math.max(max, Math.abs(v)), 0),
    mean,
    std: Math.sqrt(variance),
  };
}

describe('PyTorch default init', () => {
  const table: { description: string; layers: Layer[]; key: string; fanIn: number }[] = [
    {
      description: 'Conv2d 3→64 k3: fan_in = 3·3·3',
      layers: [{ type: 'Conv2d', out_channels: 64, kernel_size: 3 }],
      key: 'TorchConv2d/kernel',
      fanIn: 27,
    },
    {
      description: 'Conv2d bias uses the same bound',
      layers: [{ type: 'Conv2d', out_channels: 512, kernel_size: 3 }],
      key: 'TorchConv2d/bias',
      fanIn: 27,
    },
    {
      description: 'grouped Conv2d 8→32 groups 4 k[3,5]: fan_in = (8/4)·3·5',
      layers: [
        { type: 'Conv2d', out_channels: 8, kernel_size: 1 },
        { type: 'Conv2d', out_channels: 32, kernel_size: [3, 5], groups: 4 },
      ],
      key: 'TorchConv2d/kernel',
      fanIn: 30,
    },
    {
      description: 'Linear 3072→100: fan_in = 3072',
      layers: [{ type: 'Flatten' }, { type: 'Linear', out_features: 100 }],
      key: 'TorchLinear/kernel',
      fanIn: 3072,
    },
  ];

  it.each(table)('$description: U(-1/√fan_in, 1/√fan_in)', ({ layers, key, fanIn }) => {
    // Prepare
    const bound = 1 / Math.sqrt(fanIn);

    // Act
    const values = weightsOf(layers, 11).get(key)?.at(-1) ?? new Float32Array();

    // Assess: inside the bound, reaching close to it, centred, with a uniform's spread b/√3.
    const { maxAbs, mean, std } = stats(values);
    expect(values.length).toBeGreaterThan(400);
    expect(maxAbs).toBeLessThanOrEqual(bound);
    expect(maxAbs).toBeGreaterThan(0.97 * bound);
    expect(Math.abs(mean)).toBeLessThan((4 * bound) / Math.sqrt(3 * values.length));
    expect(Math.abs(std / (bound / Math.sqrt(3)) - 1)).toBeLessThan(0.1);
  });

  it('BatchNorm starts at gamma 1, beta 0, running mean 0, running variance 1', () => {
    // Act
    const weights = weightsOf([{ type: 'BatchNorm2d' }], 11);

    // Assess
    expect([...(weights.get('TorchBatchNorm/gamma')?.[0] ?? [])]).toEqual([1, 1, 1]);
    expect([...(weights.get('TorchBatchNorm/beta')?.[0] ?? [])]).toEqual([0, 0, 0]);
    expect([...(weights.get('TorchBatchNorm/running_mean')?.[0] ?? [])]).toEqual([0, 0, 0]);
    expect([...(weights.get('TorchBatchNorm/running_var')?.[0] ?? [])]).toEqual([1, 1, 1]);
  });

  it('gives the same weights for the same seed and different ones for another', () => {
    // Prepare
    const layers: Layer[] = [
      { type: 'Conv2d', out_channels: 4, kernel_size: 3 },
      { type: 'Flatten' },
      { type: 'Linear', out_features: 10 },
    ];

    // Act
    const first = weightsOf(layers, 42);
    const again = weightsOf(layers, 42);
    const other = weightsOf(layers, 43);

    // Assess
    expect(again).toEqual(first);
    expect(other.get('TorchConv2d/kernel')).not.toEqual(first.get('TorchConv2d/kernel'));
  });

  it('computes bounds as PyTorch does, 0 for an empty fan-in', () => {
    // Assess
    expect(torchDefaultBound(convFanIn(16, 4, [3, 3]))).toBeCloseTo(1 / 6, 12);
    expect(torchDefaultBound(0)).toBe(0);
  });
});

describe('seeded generator', () => {
  it('repeats for a seed and stream, and differs across seeds and streams', () => {
    // Act
    const draw = (seed: number, stream: number) => {
      const rng = createRng(seed, stream);
      return Array.from({ length: 8 }, () => rng.nextUint32());
    };

    // Assess
    expect(draw(1, 0)).toEqual(draw(1, 0));
    expect(draw(1, 0)).not.toEqual(draw(2, 0));
    expect(draw(1, 0)).not.toEqual(draw(1, 1));
    expect(draw(1, 0)).not.toEqual(draw(1 + 2 ** 32, 0));
  });

  it('draws floats in [0, 1) whose histogram is flat', () => {
    // Prepare
    const rng = createRng(5);
    const bins = new Array<number>(10).fill(0);
    const draws = 100_000;
    let outside = 0;

    // Act
    for (let i = 0; i < draws; i += 1) {
      const value = rng.nextFloat();
      if (!(value >= 0 && value < 1)) outside += 1;
      else bins[Math.floor(value * 10)] = (bins[Math.floor(value * 10)] ?? 0) + 1;
    }

    // Assess: chi-square with 9 degrees of freedom, far below its 0.999 quantile (27.9).
    const expected = draws / 10;
    const chiSquare = bins.reduce((sum, count) => sum + (count - expected) ** 2 / expected, 0);
    expect(outside).toBe(0);
    expect(chiSquare).toBeLessThan(27.9);
  });

  it('shuffles into a permutation, the same one for the same seed', () => {
    // Prepare
    const make = () => Uint32Array.from({ length: 1000 }, (_, i) => i);
    const first = make();
    const again = make();

    // Act
    shuffleInPlace(createRng(9, 2), first);
    shuffleInPlace(createRng(9, 2), again);

    // Assess
    expect([...first].sort((a, b) => a - b)).toEqual([...make()]);
    expect(first).toEqual(again);
    expect(first).not.toEqual(make());
  });

  it('rejects seeds that are not safe integers and ranges it cannot draw', () => {
    // Assess
    expect(() => createRng(1.5)).toThrow(RangeError);
    expect(() => nextBelow(createRng(1), 0)).toThrow(RangeError);
  });
});
