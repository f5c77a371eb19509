/**
 * Candidate epochs: 16 random hex digits each. The publish script is handed one with every
 * publish (used only if the channel's data set has none), so they are cut from a pool of
 * random bytes filled a few kilobytes at a time rather than one system call per publish.
 */
import { randomFillSync } from 'node:crypto';

const EPOCH_BYTES = 8;
const pool = Buffer.alloc(EPOCH_BYTES * 512);
let used = pool.length;

export function newEpoch(): string {
  if (used === pool.length) {
    randomFillSync(pool);
    used = 0;
  }
  used += EPOCH_BYTES;
  return pool.toString('hex', used - EPOCH_BYTES, used);
}
