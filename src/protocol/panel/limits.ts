/**
 * Every bound on what the Live Activity panel keeps and shows, in one place: the host's
 * activity store enforces them on whatever the channel sends, and the panel relies on
 * the same numbers. Anyone may publish on the channel, so each structure fed from it is
 * bounded in count and in characters.
 */

/** Threads the host keeps unless `weatherAssistant.panel.maxThreads` says otherwise (1–1,000). */
export const DEFAULT_MAX_THREADS = 50;

/** Turns the host keeps per thread, and so the most the panel ever shows. */
export const MAX_TURNS_PER_THREAD = 20;

/** Tool cards kept per turn; later tool events are only counted ("N more tool events not shown"). */
export const MAX_TOOLS_PER_TURN = 32;

/** Characters kept of each text field from the channel; longer text is cut and ends in "…". */
export const TEXT_LIMITS = {
  /** thread_id; seed-style ids are 31 characters. */
  threadId: 128,
  /** tool_call_id, used as the card's key. */
  toolCallId: 128,
  question: 2_000,
  /** "Executing weather check for …". */
  toolMessage: 1_000,
  /** The raw result (usually JSON); a weather result is well under 1,000 characters. */
  toolResult: 16_000,
  /** The whole answer of one turn (cut with a note, see the store). */
  answer: 200_000,
  error: 2_000,
  notice: 300,
} as const;

/** Event ids (`id`) longer than this are not remembered for de-duplication; ours are 36-character UUIDs. */
export const MAX_EVENT_ID_LENGTH = 100;

/** Event ids remembered to drop resends and recognise echoes of our own events. */
export const MAX_REMEMBERED_IDS = 20_000;

/**
 * Characters the host keeps over all threads together (about 8 MB at most). Past it the
 * least recently active threads go first, then the oldest turns of the active one; one
 * turn at its limits (answer, tools, texts) is well under it.
 */
export const MAX_RETAINED_CHARS = 4_000_000;

/**
 * Cuts untrusted text to `max` characters plus "…". Besides keeping the panel readable,
 * it bounds layout work: Chromium wraps one very long unbroken word in quadratic time.
 * The result is a fresh copy, so a cut string never keeps a huge original alive (V8
 * slices share their parent's memory).
 */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  // Never end on half a surrogate pair.
  const end = isHighSurrogate(text.charCodeAt(max - 1)) ? max - 1 : max;
  return freshCopy(`${text.slice(0, end)}…`);
}

/** A flat copy that shares no memory with the text it came from. */
export function freshCopy(text: string): string {
  return JSON.parse(JSON.stringify(text)) as string;
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}
