/** Padding of an NHWC image's two spatial axes, in rows and columns on each side. */
export interface Pads2d {
  top: number;
  bottom: number;
  left: number;
  right: number;
}

/** Explicit zero (or -inf) padding as tf.pad wants it for NHWC: [[0,0],[top,bottom],[left,right],[0,0]]. */
export type Nhwc4Padding = [[number, number], [number, number], [number, number], [number, number]];

export function hasPadding(pads: Pads2d): boolean {
  return pads.top > 0 || pads.bottom > 0 || pads.left > 0 || pads.right > 0;
}

export function nhwcPadding(pads: Pads2d): Nhwc4Padding {
  return [
    [0, 0],
    [pads.top, pads.bottom],
    [pads.left, pads.right],
    [0, 0],
  ];
}
