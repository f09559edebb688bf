/** Bytes to text, refusing what is not a UTF-8 JSON file before anything is parsed. */

import { formatCount } from './format-number.js';

export type DecodeResult = { ok: true; text: string } | { ok: false; message: string };

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const encoder = new TextEncoder();

/**
 * Checks the size cap first (so a huge file costs nothing), then decodes UTF-8 strictly.
 * A UTF-8 byte-order mark is accepted and dropped; UTF-16 files are named as such.
 */
export function decodeSubmission(input: Uint8Array | string, maxBytes: number): DecodeResult {
  if (typeof input === 'string') {
    // Characters never outnumber UTF-8 bytes, so the cheap test comes first.
    const tooBig = input.length > maxBytes || encoder.encode(input).length > maxBytes;
    if (tooBig) return tooLarge(maxBytes);
    return { ok: true, text: input.charCodeAt(0) === 0xfeff ? input.slice(1) : input };
  }
  if (input.length > maxBytes) return tooLarge(maxBytes);
  if (looksLikeOnnx(input)) {
    return {
      ok: false,
      message:
        'the file is an ONNX model (as torch.onnx.export writes), not a submission: a submission is a JSON file; make one from the model with "npx autograder import MODEL.onnx" (docs/import-onnx.md)',
    };
  }
  if (input.length >= 2) {
    const [a, b] = [input[0], input[1]];
    if ((a === 0xff && b === 0xfe) || (a === 0xfe && b === 0xff)) {
      return { ok: false, message: 'the file is UTF-16 text; save it as UTF-8' };
    }
  }
  const start = input[0] === 0xef && input[1] === 0xbb && input[2] === 0xbf ? 3 : 0;
  try {
    return { ok: true, text: utf8.decode(input.subarray(start)) };
  } catch {
    const offset = firstInvalidUtf8Offset(input, start);
    return {
      ok: false,
      message: `the file is not UTF-8 text (invalid byte 0x${(input[offset] ?? 0).toString(16).padStart(2, '0')} at byte offset ${offset}); a submission is a JSON file`,
    };
  }
}

/**
 * An ONNX ModelProto opens with its ir_version: protobuf field 1 as a varint (tag byte 0x08) and a
 * small version. No JSON text starts with that control character.
 */
function looksLikeOnnx(bytes: Uint8Array): boolean {
  return (
    bytes.length >= 2 && bytes[0] === 0x08 && (bytes[1] ?? 0x80) > 0 && (bytes[1] ?? 0x80) < 0x80
  );
}

function tooLarge(maxBytes: number): DecodeResult {
  return {
    ok: false,
    message: `the file is larger than the rubric's limit of ${formatCount(maxBytes)} bytes`,
  };
}

/** Where strict decoding failed, for the message; only runs on files already refused. */
function firstInvalidUtf8Offset(bytes: Uint8Array, start: number): number {
  let i = start;
  while (i < bytes.length) {
    const b = bytes[i] ?? 0;
    let extra: number;
    let min: number;
    if (b < 0x80) {
      i += 1;
      continue;
    } else if (b >= 0xc2 && b <= 0xdf) {
      extra = 1;
      min = 0x80;
    } else if (b >= 0xe0 && b <= 0xef) {
      extra = 2;
      min = 0x800;
    } else if (b >= 0xf0 && b <= 0xf4) {
      extra = 3;
      min = 0x10000;
    } else {
      return i;
    }
    let code = b & (0x3f >> extra);
    for (let k = 1; k <= extra; k++) {
      const next = bytes[i + k];
      if (next === undefined || (next & 0xc0) !== 0x80) return i;
      code = (code << 6) | (next & 0x3f);
    }
    if (code < min || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return i;
    i += extra + 1;
  }
  return Math.max(start, bytes.length - 1);
}
