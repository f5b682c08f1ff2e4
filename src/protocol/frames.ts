/**
 * Binary frames of terminal output, apart from the schemas (wire.ts re-exports all of it, so the
 * runner and the clients have one import; the JSON encoder is handshake.ts's). No DOM, no Node
 * (src/common/tsconfig.json holds to that).
 *
 * An output frame is OUTPUT_HEADER_BYTES of offset (the first byte's offset in the terminal's
 * whole output, unsigned big-endian 64-bit) followed by the pty's bytes, untouched: no JSON, no
 * UTF-16. A multi-byte UTF-8 character may be split across two frames; the client's decoder
 * (xterm's, or a streaming TextDecoder) joins it.
 */
import { OUTPUT_HEADER_BYTES } from './constants.ts';

/** Terminal output, as decoded from a binary frame. `data` is a view into the frame, not a copy. */
export interface OutputMessage {
  type: 'output';
  seq: number;
  data: Uint8Array;
}

const TWO_TO_32 = 2 ** 32;
/** The high 32 bits of Number.MAX_SAFE_INTEGER: an offset above it cannot be held exactly. */
const MAX_HIGH = Math.floor(Number.MAX_SAFE_INTEGER / TWO_TO_32);

/**
 * One binary output frame holding `chunks` (in order) from offset `seq` on: the header and the
 * bytes in one buffer, so the socket sends it without another copy.
 */
export function encodeOutputFrame(seq: number, chunks: readonly Uint8Array[]): Uint8Array {
  if (!Number.isSafeInteger(seq) || seq < 0) throw new RangeError(`an output offset is a non-negative safe integer, not ${seq}`);
  let length = 0;
  for (const chunk of chunks) length += chunk.byteLength;
  const frame = new Uint8Array(OUTPUT_HEADER_BYTES + length);
  const header = new DataView(frame.buffer, frame.byteOffset, OUTPUT_HEADER_BYTES);
  header.setUint32(0, Math.floor(seq / TWO_TO_32));
  header.setUint32(4, seq % TWO_TO_32);
  let at = OUTPUT_HEADER_BYTES;
  for (const chunk of chunks) {
    frame.set(chunk, at);
    at += chunk.byteLength;
  }
  return frame;
}

/** The payload of a frame made by encodeOutputFrame (a view, no copy). */
export function outputFramePayload(frame: Uint8Array): Uint8Array {
  return frame.subarray(OUTPUT_HEADER_BYTES);
}

export type DecodedOutput = { ok: true; message: OutputMessage } | { ok: false; code: 'bad-output-frame'; detail: string };

/** Reads a binary output frame; `frame` is what the socket delivered (a Buffer is a Uint8Array). */
export function decodeOutputFrame(frame: Uint8Array | ArrayBuffer): DecodedOutput {
  const bytes = frame instanceof Uint8Array ? frame : new Uint8Array(frame);
  if (bytes.byteLength < OUTPUT_HEADER_BYTES) {
    return { ok: false, code: 'bad-output-frame', detail: `a binary frame of ${bytes.byteLength} bytes is shorter than its ${OUTPUT_HEADER_BYTES}-byte header` };
  }
  const header = new DataView(bytes.buffer, bytes.byteOffset, OUTPUT_HEADER_BYTES);
  const high = header.getUint32(0);
  if (high > MAX_HIGH) return { ok: false, code: 'bad-output-frame', detail: 'the output offset is beyond 2^53 - 1' };
  const seq = high * TWO_TO_32 + header.getUint32(4);
  return { ok: true, message: { type: 'output', seq, data: bytes.subarray(OUTPUT_HEADER_BYTES) } };
}
