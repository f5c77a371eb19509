/**
 * Encodes a WebSocket text frame as the server sends it (RFC 6455 §5.2: FIN set, opcode
 * 1, unmasked). A broadcast is encoded once, into one buffer, and that buffer is written
 * to every subscriber's socket: no per-subscriber framing, header allocation or copy.
 */
export function encodeTextFrame(payload: Buffer): Buffer {
  const length = payload.length;
  const headerLength = length < 126 ? 2 : length < 65_536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(headerLength + length);
  frame[0] = 0x81; // FIN + text
  if (length < 126) {
    frame[1] = length;
  } else if (length < 65_536) {
    frame[1] = 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 127;
    frame.writeUInt32BE(Math.floor(length / 2 ** 32), 2);
    frame.writeUInt32BE(length >>> 0, 6);
  }
  payload.copy(frame, headerLength);
  return frame;
}

/** The payload of a frame made by `encodeTextFrame`, as a view into it (no copy). */
export function textFramePayload(frame: Buffer): Buffer {
  const length = frame[1] & 0x7f;
  return frame.subarray(length < 126 ? 2 : length === 126 ? 4 : 10);
}
