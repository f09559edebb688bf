import { Cifar10BatchError } from './errors.js';
import { CIFAR10_IMAGE_BYTES, type Cifar10Split } from './types.js';

const PLANE = 1024;

/** byte → byte / 255, computed once: exactly PyTorch's ToTensor scaling, and a load instead of a divide. */
const SCALE = Float32Array.from({ length: 256 }, (_, value) => value / 255);

/**
 * Writes the images at `indices` into `images` as NHWC float32 in [0, 1] (the tfjs models are
 * channels-last) and their labels into `labels`. The buffers are the caller's and are reused
 * from batch to batch: this runs once per training step and allocates nothing.
 */
export function fillBatch(
  split: Cifar10Split,
  indices: ArrayLike<number>,
  images: Float32Array,
  labels: Int32Array,
): void {
  const size = indices.length;
  if (images.length < size * CIFAR10_IMAGE_BYTES || labels.length < size) {
    throw new Cifar10BatchError(
      `batch of ${size} needs ${size * CIFAR10_IMAGE_BYTES} image floats and ${size} labels; ` +
        `got buffers of ${images.length} and ${labels.length}`,
    );
  }
  const pixels = split.images;
  for (let i = 0; i < size; i += 1) {
    const index = indices[i] as number;
    if (!(Number.isInteger(index) && index >= 0 && index < split.count)) {
      throw new Cifar10BatchError(
        `batch position ${i} asks for image ${index}; the split holds ${split.count}`,
      );
    }
    labels[i] = split.labels[index] as number;
    const red = index * CIFAR10_IMAGE_BYTES;
    const green = red + PLANE;
    const blue = green + PLANE;
    let out = i * CIFAR10_IMAGE_BYTES;
    for (let p = 0; p < PLANE; p += 1) {
      images[out] = SCALE[pixels[red + p] as number] as number;
      images[out + 1] = SCALE[pixels[green + p] as number] as number;
      images[out + 2] = SCALE[pixels[blue + p] as number] as number;
      out += 3;
    }
  }
}
