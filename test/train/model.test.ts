import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeLayers } from '../../src/spec/index.js';
import type { Layer, Submission } from '../../src/spec/types.js';
import { selectBackend } from '../../src/train/backend.js';
import { ModelBuildError } from '../../src/train/errors.js';
import { countTrainableParams, createModel } from '../../src/train/model.js';
import type { BackendName } from '../../src/train/types.js';
import { submissionFilesIn } from '../helpers/examples.js';
import {
  type LayerCase,
  layersInSpecOrder,
  loadTorchReference,
  oursToTorch,
  toNchw,
  toNhwc,
  torchToOurs,
  worstMismatch,
} from './torch-reference.js';

const reference = loadTorchReference();

/** Loads PyTorch's parameters (and BatchNorm running statistics) into our model, in spec order. */
function loadTorchState(model: tf.LayersModel, testCase: LayerCase): void {
  const params = [...testCase.params];
  const buffers = [...testCase.buffersBefore];
  for (const layer of layersInSpecOrder(model)) {
    for (const weight of layer.trainableWeights) {
      const param = params.shift();
      if (!param) throw new Error(`no PyTorch parameter left for ${weight.name}`);
      const value = torchToOurs(param.values, param.shape, weight.shape as number[]);
      weight.write(value);
      value.dispose();
    }
    for (const weight of layer.nonTrainableWeights) {
      const buffer = buffers.shift();
      if (!buffer) throw new Error(`no PyTorch buffer left for ${weight.name}`);
      const value = tf.tensor(buffer.values, weight.shape as number[]);
      weight.write(value);
      value.dispose();
    }
  }
  if (params.length > 0 || buffers.length > 0) {
    throw new Error(`${params.length} parameters and ${buffers.length} buffers were not used`);
  }
}

interface CaseRun {
  output: Float32Array;
  inputGrad: Float32Array;
  paramGrads: Float32Array[];
  buffersAfter: Float32Array[];
}

/** Forward in the case's mode and backward of sum(output · probe), as the generator did. */
function runCase(testCase: LayerCase): CaseRun {
  const [c, h, w] = testCase.inputShape;
  const model = createModel(testCase.layers, { seed: 0, inputShape: [h, w, c] });
  try {
    loadTorchState(model, testCase);
    const trainable = layersInSpecOrder(model).flatMap((layer) =>
      layer.trainableWeights.map((weight) => weight.read() as tf.Variable),
    );
    const x = tf.tidy(() => tf.variable(toNhwc(testCase.input, [2, c, h, w]) as tf.Tensor4D));
    const probe = toNhwc(testCase.probe, [2, ...testCase.outputShape]);
    let output: tf.Tensor | undefined;
    const { grads, value } = tf.variableGrads(() => {
      const y = model.apply(x, { training: testCase.mode === 'train' }) as tf.Tensor;
      output = tf.keep(toNchw(y));
      return tf.sum(tf.mul(y, probe));
    }, [x, ...trainable]);
    const run: CaseRun = {
      output: (output as tf.Tensor).dataSync() as Float32Array,
      inputGrad: tf.tidy(() => toNchw(grads[x.name] as tf.Tensor).dataSync() as Float32Array),
      paramGrads: trainable.map((variable, i) =>
        tf.tidy(
          () =>
            oursToTorch(
              grads[variable.name] as tf.Tensor,
              testCase.params[i]?.shape ?? [],
            ).dataSync() as Float32Array,
        ),
      ),
      buffersAfter: layersInSpecOrder(model).flatMap((layer) =>
        layer.nonTrainableWeights.map((weight) => weight.read().dataSync() as Float32Array),
      ),
    };
    tf.dispose([x, probe, output as tf.Tensor, value, ...Object.values(grads)]);
    return run;
  } finally {
    model.dispose();
  }
}

describe.each<BackendName>(['cpu', 'wasm'])('createModel on %s matches PyTorch 1.13', (backend) => {
  beforeAll(async () => {
    await selectBackend(backend);
  });
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it.each(reference.layerCases.map((testCase) => [testCase.description, testCase] as const))(
    '%s: output, gradients and running statistics',
    (_description, testCase) => {
      // Prepare
      const before = tf.memory().numTensors;

      // Act
      const run = runCase(testCase);

      // Assess
      expect(worstMismatch(run.output, testCase.output)).toBeLessThanOrEqual(1);
      expect(worstMismatch(run.inputGrad, testCase.inputGrad)).toBeLessThanOrEqual(1);
      expect(run.paramGrads).toHaveLength(testCase.paramGrads.length);
      testCase.paramGrads.forEach((grad, i) => {
        expect(worstMismatch(run.paramGrads[i] ?? [], grad.values), grad.name).toBeLessThanOrEqual(
          1,
        );
      });
      testCase.buffersAfter.forEach((buffer, i) => {
        expect(
          worstMismatch(run.buffersAfter[i] ?? [], buffer.values),
          buffer.name,
        ).toBeLessThanOrEqual(1);
      });
      expect(tf.memory().numTensors).toBe(before);
    },
  );
});

describe('createModel parameter counts', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it.each(reference.networks.map((network) => [network.name, network] as const))(
    '%s has PyTorch’s parameter count',
    (_name, network) => {
      // Prepare
      const model = createModel(network.layers, { seed: 1 });

      // Act
      const params = countTrainableParams(model);
      model.dispose();

      // Assess
      expect(params).toBe(network.params);
    },
  );

  it.each(reference.layerCases.map((testCase) => [testCase.description, testCase] as const))(
    'layer case "%s" has PyTorch’s parameter count',
    (_description, testCase) => {
      // Prepare
      const [c, h, w] = testCase.inputShape;
      const model = createModel(testCase.layers, { seed: 1, inputShape: [h, w, c] });

      // Act
      const params = countTrainableParams(model);
      model.dispose();

      // Assess
      expect(params).toBe(testCase.paramCount);
    },
  );

  const examplesDir = fileURLToPath(new URL('../../rubric/examples/', import.meta.url));
  const examples = submissionFilesIn(examplesDir).flatMap((file) => {
    const submission = JSON.parse(readFileSync(`${examplesDir}${file}`, 'utf8')) as Submission;
    return submission.experiments.map(
      (experiment) => [`${file} ${experiment.name}`, experiment.layers] as const,
    );
  });

  it.each(examples)('example %s: countParams equals the validator’s count', (_name, layers) => {
    // Prepare
    const expected = analyzeLayers(layers, '/layers').params;
    const model = createModel(layers, { seed: 1 });

    // Act
    const params = countTrainableParams(model);
    model.dispose();

    // Assess
    expect(examples.length).toBeGreaterThan(0);
    expect(params).toBe(expected);
  });
});

const conv = (extra: Partial<Extract<Layer, { type: 'Conv2d' }>> = {}): Layer => ({
  type: 'Conv2d',
  out_channels: 4,
  kernel_size: 3,
  padding: 1,
  ...extra,
});

describe('createModel rejects layer lists PyTorch would reject', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  const table: { description: string; data: Layer[]; path: string; message: RegExp }[] = [
    {
      description: 'Linear on an image',
      data: [{ type: 'Linear', out_features: 10 }],
      path: '/layers/0',
      message: /flat input.*\[3, 32, 32\].*Flatten/,
    },
    {
      description: 'in_features that do not match',
      data: [{ type: 'Flatten' }, { type: 'Linear', in_features: 100, out_features: 10 }],
      path: '/layers/1',
      message: /in_features is 100 but 3072/,
    },
    {
      description: 'in_channels that do not match',
      data: [conv({ in_channels: 1 })],
      path: '/layers/0',
      message: /in_channels is 1 but the input has 3/,
    },
    {
      description: 'groups that do not divide the channels',
      data: [conv({ groups: 2 })],
      path: '/layers/0',
      message: /groups \(2\) must divide/,
    },
    {
      description: 'padding "same" with a stride',
      data: [conv({ padding: 'same', stride: 2 })],
      path: '/layers/0',
      message: /"same" needs stride 1/,
    },
    {
      description: 'a kernel larger than the input',
      data: [conv({ kernel_size: 40, padding: 0 })],
      path: '/layers/0',
      message: /does not fit the 32×32 input/,
    },
    {
      description: 'pool padding over half the kernel',
      data: [{ type: 'MaxPool2d', kernel_size: 2, padding: 2 }],
      path: '/layers/0',
      message: /at most half of kernel_size/,
    },
    {
      description: 'a BatchNorm2d with the wrong num_features',
      data: [conv(), { type: 'BatchNorm2d', num_features: 8 }],
      path: '/layers/1',
      message: /num_features is 8 but the input has 4/,
    },
    {
      description: 'a Residual whose body changes the shape',
      data: [conv(), { type: 'Residual', body: [conv({ out_channels: 8 })] }],
      path: '/layers/1',
      message: /body gives \[8, 32, 32\] but the shortcut gives \[4, 32, 32\]/,
    },
    {
      description: 'a bad layer inside a Residual body',
      data: [
        {
          type: 'Residual',
          body: [conv({ out_channels: 3 }), { type: 'Linear', out_features: 3 }],
        },
      ],
      path: '/layers/0/body/1',
      message: /flat input/,
    },
  ];

  it.each(table)('$description', ({ data, path, message }) => {
    // Prepare
    const before = tf.memory().numTensors;

    // Act
    const build = () => createModel(data, { seed: 1 });

    // Assess
    expect(build).toThrow(ModelBuildError);
    try {
      build();
    } catch (error) {
      expect((error as ModelBuildError).path).toBe(path);
      expect((error as ModelBuildError).message).toMatch(message);
    }
    // Weights of the layers built before the bad one are freed.
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('dropout', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  function dropoutOutputs(
    type: 'Dropout' | 'Dropout2d',
    seed: number,
    training: boolean,
  ): Float32Array {
    const model = createModel([{ type, p: 0.25 }], { seed, inputShape: [16, 16, 32] });
    const out = tf.tidy(() => {
      const y = model.apply(tf.ones([4, 16, 16, 32]), { training }) as tf.Tensor;
      return y.dataSync() as Float32Array;
    });
    model.dispose();
    return out;
  }

  it('Dropout zeroes about p of the elements and scales the rest by 1/(1-p) in training', () => {
    // Prepare
    const p = 0.25;

    // Act
    const out = dropoutOutputs('Dropout', 3, true);

    // Assess
    const zeros = out.filter((v) => v === 0).length / out.length;
    expect(Math.abs(zeros - p)).toBeLessThan(0.02);
    expect(out.every((v) => v === 0 || Math.abs(v - 1 / (1 - p)) < 1e-6)).toBe(true);
  });

  it('Dropout2d zeroes whole channels', () => {
    // Prepare
    const channels = 32;

    // Act
    const out = dropoutOutputs('Dropout2d', 3, true);

    // Assess: per image and channel, the 256 pixels are all zero or all kept.
    const perChannel = new Map<string, Set<number>>();
    out.forEach((v, i) => {
      const key = `${Math.floor(i / (256 * channels))}:${i % channels}`;
      const seen = perChannel.get(key) ?? new Set<number>();
      seen.add(v);
      perChannel.set(key, seen);
    });
    expect([...perChannel.values()].every((values) => values.size === 1)).toBe(true);
    expect([...perChannel.values()].some((values) => values.has(0))).toBe(true);
  });

  it('is the identity at inference', () => {
    // Act
    const out = dropoutOutputs('Dropout', 3, false);

    // Assess
    expect(out.every((v) => v === 1)).toBe(true);
  });

  it('draws the same masks for the same seed and others for another seed', () => {
    // Act
    const first = dropoutOutputs('Dropout', 5, true);
    const again = dropoutOutputs('Dropout', 5, true);
    const other = dropoutOutputs('Dropout', 6, true);

    // Assess
    expect(again).toEqual(first);
    expect(other).not.toEqual(first);
  });
});
