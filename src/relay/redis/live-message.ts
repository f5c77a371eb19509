/**
 * The pub/sub message the publish script sends: `<offset>:<epoch>:<frame bytes>`. Offset
 * digits and an epoch without colons come first, so the frame after the second colon is
 * taken byte for byte, whatever it holds.
 */

export interface LiveMessage {
  offset: number;
  epoch: string;
  frame: Buffer;
}

const COLON = 0x3a;
/** An offset has at most 16 digits and an epoch at most 64 characters: a header longer than that is not ours. */
const MAX_HEADER = 16 + 1 + 64 + 1;

/** Undefined when `message` is not in the publish script's format. */
export function parseLiveMessage(message: Buffer): LiveMessage | undefined {
  const first = message.indexOf(COLON);
  if (first < 1 || first > 16) return undefined;
  const second = message.indexOf(COLON, first + 1);
  if (second <= first + 1 || second >= MAX_HEADER) return undefined;
  const digits = message.toString('latin1', 0, first);
  if (!/^[1-9][0-9]*$/.test(digits)) return undefined;
  const offset = Number(digits);
  if (!Number.isSafeInteger(offset)) return undefined;
  return { offset, epoch: message.toString('latin1', first + 1, second), frame: message.subarray(second + 1) };
}
