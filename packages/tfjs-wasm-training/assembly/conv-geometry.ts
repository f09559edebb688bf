// The geometry of the current convolution call, which the tiles read: wasm globals, one set per
// instance (each thread has its own instance).

/** Bytes from one output position's input patch to the next along a row. */
export let xStep: usize = 0;
/** Bytes per position of y or dy, and per row of w or dw: outChannels floats. */
export let channelBytes: usize = 0;
/** Bytes from one output row's input patches to the next. */
export let xLineStep: usize = 0;
export let outWidth: i32 = 0;
/** The forward tiles' output: bytes from one position to the next, and from one row to the next. */
export let outStep: usize = 0;
export let outLineStep: usize = 0;
/** The forward tiles' weights: bytes from one row of w to the next. */
export let wRowBytes: usize = 0;
/** Output rows in the current block. */
export let blockRows: i32 = 0;

export function setGeometry(
  xStepBytes: usize,
  channelBytesIn: usize,
  xLineStepBytes: usize,
  outWidthIn: i32,
): void {
  xStep = xStepBytes;
  channelBytes = channelBytesIn;
  xLineStep = xLineStepBytes;
  outWidth = outWidthIn;
}

export function setForwardOutput(step: usize, lineStep: usize, wRow: usize): void {
  outStep = step;
  outLineStep = lineStep;
  wRowBytes = wRow;
}

export function setBlockRows(rows: i32): void {
  blockRows = rows;
}
