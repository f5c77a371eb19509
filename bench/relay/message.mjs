/**
 * The benchmark's message: the seed protocol's streaming response
 * (../shared/seed/websocket-implementation.md, "AI Response Messages") at about 200 bytes,
 * with a sequence number and a send time written into its text at fixed width, so that
 * every message has the same length and the generator can patch digits in place.
 *
 *   {"type":"weather-update","payload":{"message":"[seq 0000000001 t 0000001234567] Current
 *    weather in Makati: ...","timestamp":1718000000,"thread_id":"thread_xyz","type":"response"}}
 *
 * `t` is microseconds on the generator's performance.now() clock: the publisher and every
 * subscriber live in the generator process, so publish→deliver latency is one clock.
 */
export const CHANNEL = 'weather-update';
export const MARK = Buffer.from('[seq ');
const SEQ_DIGITS = 10;
const TIME_DIGITS = 13;
/** Offsets of the digits relative to the start of MARK. */
export const SEQ_OFFSET = MARK.length;
export const TIME_OFFSET = MARK.length + SEQ_DIGITS + ' t '.length;

export function seedMessage(seq = 0, micros = 0) {
  const text =
    `[seq ${pad(seq, SEQ_DIGITS)} t ${pad(micros, TIME_DIGITS)}] ` +
    'Current weather in Makati: 30.1 C, feels like 36 C.';
  return JSON.stringify({
    type: CHANNEL,
    payload: { message: text, timestamp: 1718000000, thread_id: 'thread_xyz', type: 'response' },
  });
}

function pad(value, width) {
  return String(value).padStart(width, '0');
}

/** Writes `value` as `width` decimal digits at `offset`. */
export function writeDigits(buffer, offset, width, value) {
  for (let i = offset + width - 1; i >= offset; i--) {
    buffer[i] = 48 + (value % 10);
    value = Math.floor(value / 10);
  }
}

export function readDigits(buffer, offset, width) {
  let value = 0;
  for (let i = offset; i < offset + width; i++) value = value * 10 + (buffer[i] - 48);
  return value;
}

export function writeSeq(buffer, markAt, seq) {
  writeDigits(buffer, markAt + SEQ_OFFSET, SEQ_DIGITS, seq);
}
export function writeTime(buffer, markAt, micros) {
  writeDigits(buffer, markAt + TIME_OFFSET, TIME_DIGITS, micros);
}
export function readSeq(buffer, markAt) {
  return readDigits(buffer, markAt + SEQ_OFFSET, SEQ_DIGITS);
}
export function readTime(buffer, markAt) {
  return readDigits(buffer, markAt + TIME_OFFSET, TIME_DIGITS);
}
