/**
 * When a connection's frames leave for the kernel. Two kinds of traffic want opposite things:
 *
 * - a stream (a publisher's burst of deltas to a channel's watchers) wants every frame of one
 *   tick to leave in one `writev` per socket: the socket is corked until the tick ends;
 * - a broadcast to thousands of idle subscribers wants each single frame written at once: a
 *   cork, its buffering and a later `writev` of one frame only add work per socket, and keep
 *   the first subscribers waiting until the last one's frame is queued.
 *
 * So a socket that was also written in the previous write tick, if that tick ended moments
 * ago, is corked from its first frame; any other socket's first frame in a tick is written at
 * once, and only its further frames in the same tick are corked. One timer-free tick clock and
 * one list of corked sockets serve every connection (a callback per socket would cost memory
 * and time at tens of thousands of them).
 */

export interface Corkable {
  /** The write tick this connection last wrote in (0: never); kept by beforeWrite. */
  lastWriteTick: number;
  /** Whether it is corked until the tick ends; kept by beforeWrite. */
  corked: boolean;
  /** Cork / uncork its socket. */
  cork(): void;
  uncork(): void;
}

/** A tick that ended longer ago than this does not make its sockets part of a stream. */
const STREAM_GAP_MS = 5;

let tick = 1;
let scheduled = false;
let previousTickEndedAt = Number.NEGATIVE_INFINITY;
/** Whether the previous write tick ended within STREAM_GAP_MS of this one's first write. */
let previousTickRecent = false;
const corked: Corkable[] = [];

function endTick(): void {
  scheduled = false;
  tick++;
  previousTickEndedAt = performance.now();
  // Sockets corked during an uncork (none today) wait for the next tick, not lost.
  const due = corked.splice(0, corked.length);
  for (const connection of due) {
    connection.corked = false;
    connection.uncork();
  }
}

/** Before `connection` writes a frame: corks it when this frame should wait for the tick's end. */
export function beforeWrite(connection: Corkable): void {
  if (!scheduled) {
    scheduled = true;
    previousTickRecent = performance.now() - previousTickEndedAt < STREAM_GAP_MS;
    process.nextTick(endTick);
  }
  const last = connection.lastWriteTick;
  connection.lastWriteTick = tick;
  if (last === tick || (last === tick - 1 && previousTickRecent)) {
    // Corked once per tick: `last === tick` while not corked means its first frame went at once.
    if (!connection.corked) {
      connection.corked = true;
      connection.cork();
      corked.push(connection);
    }
  }
}
