/**
 * The Lua scripts that make a channel's history consistent across relay nodes (and let a
 * process replace its channel census in one step), and how they are run: EVAL until Redis has
 * the script, then EVALSHA (only the digest crosses the wire). A script runs atomically, so
 * no other node can interleave between reading and bumping an offset.
 */
import { createHash } from 'node:crypto';
import { ErrorReply, type RedisArgument, type TypeMapping } from '@redis/client';

interface LuaScript {
  readonly source: string;
  readonly sha: string;
}

function lua(source: string): LuaScript {
  return { source, sha: createHash('sha1').update(source).digest('hex') };
}

/**
 * Both scripts: the channel's epoch, or, for a new channel, the data set's (KEYS[3]; created
 * from ARGV[3] when Redis has none), the one relays announce, so receipts match it. Sets
 * `created` when the channel's meta hash got its epoch just now.
 */
const CHANNEL_EPOCH = `
local created = false
local epoch = redis.call('HGET', meta, 'e')
if not epoch then
  epoch = redis.call('GET', KEYS[3])
  if not epoch then
    epoch = ARGV[3]
    redis.call('SET', KEYS[3], epoch)
  end
  redis.call('HSET', meta, 'e', epoch)
  created = true
end
`;

/**
 * Publishes one frame on a channel.
 * KEYS: [1] stream, [2] meta hash, [3] the data set's epoch key, [4] idempotency key (optional:
 *       left out when the message has no id).
 * ARGV: [1] frame, [2] pub/sub topic, [3] a new epoch, used if the data set has none, or for a
 *       channel whose offsets cannot go on, [4] history size
 *       (exact MAXLEN), [5] history TTL s, [6] meta TTL s, [7] idempotency TTL s.
 * Returns { offset, epoch, duplicate (1 when the id was seen: nothing else was done) }.
 * Live message on the topic: `<offset>:<epoch>:<frame bytes>`.
 */
export const PUBLISH_SCRIPT = lua(`
local stream, meta, seen = KEYS[1], KEYS[2], KEYS[4]
if seen then
  local saved = redis.call('GET', seen)
  if saved then
    local colon = string.find(saved, ':', 1, true)
    return { tonumber(string.sub(saved, 1, colon - 1)), string.sub(saved, colon + 1), 1 }
  end
end
${CHANNEL_EPOCH}local offset = redis.call('HINCRBY', meta, 'o', 1)
-- %d: Lua would print a number of 15 digits or more in exponent notation.
local id = string.format('%d', offset)
if offset == 1 then
  -- A first offset means the meta hash was missing: a stream left from before cannot continue it.
  redis.call('DEL', stream)
end
local added = redis.pcall('XADD', stream, 'MAXLEN', ARGV[4], id .. '-0', 'f', ARGV[1])
if type(added) == 'table' and added.err then
  if not string.find(added.err, 'equal or smaller', 1, true) then
    return redis.error_reply(added.err)
  end
  -- The stream is ahead of the meta hash: Redis lost part of its data (an older AOF, a
  -- failover). Reusing offsets would make resuming clients skip messages: start a new epoch.
  epoch = ARGV[3]
  offset = 1
  id = '1'
  redis.call('DEL', stream)
  redis.call('HSET', meta, 'e', epoch, 'o', offset)
  redis.call('XADD', stream, 'MAXLEN', ARGV[4], id .. '-0', 'f', ARGV[1])
end
redis.call('EXPIRE', stream, ARGV[5])
redis.call('EXPIRE', meta, ARGV[6])
redis.call('PUBLISH', ARGV[2], id .. ':' .. epoch .. ':' .. ARGV[1])
if seen then
  redis.call('SET', seen, id .. ':' .. epoch, 'EX', ARGV[7])
end
return { offset, epoch, 0 }
`);

/**
 * Reads a channel's epoch, top offset and the entries from a given offset on.
 * KEYS: [1] stream, [2] meta hash, [3] the data set's epoch key.
 * ARGV: [1] first offset wanted (since + 1), [2] most entries to return, [3] epoch for the data
 *       set if it has none (a channel without one takes the data set's, so a subscriber gets the
 *       epoch later publishes will carry), [4] meta TTL s.
 * Returns { epoch, top offset (0 before the first publish), { offset, frame, offset, frame, … } }.
 */
export const HISTORY_SCRIPT = lua(`
local stream, meta = KEYS[1], KEYS[2]
${CHANNEL_EPOCH}if created then redis.call('EXPIRE', meta, ARGV[4]) end
local top = tonumber(redis.call('HGET', meta, 'o') or '0')
local flat = {}
if tonumber(ARGV[2]) > 0 and top >= tonumber(ARGV[1]) then
  local entries = redis.call('XRANGE', stream, ARGV[1], '+', 'COUNT', ARGV[2])
  for i, entry in ipairs(entries) do
    flat[2 * i - 1] = tonumber(string.match(entry[1], '^%d+'))
    flat[2 * i] = entry[2][2]
  end
end
return { epoch, top, flat }
`);

/**
 * Replaces one process's census of its channels (channel-census.ts).
 * KEYS: [1] the census set, [2] the process's hash.
 * ARGV: [1] the process id, [2] the hash's time to live in ms, [3…] channel name, subscribers, …
 * A process with no channels leaves the set: there is nothing of it to read.
 */
export const CENSUS_SCRIPT = lua(`
redis.call('DEL', KEYS[2])
if #ARGV < 3 then
  redis.call('SREM', KEYS[1], ARGV[1])
  return 0
end
for i = 3, #ARGV, 1000 do
  redis.call('HSET', KEYS[2], unpack(ARGV, i, math.min(i + 999, #ARGV)))
end
redis.call('PEXPIRE', KEYS[2], ARGV[2])
redis.call('SADD', KEYS[1], ARGV[1])
return 1
`);

/** The per-command options used here (a subset of node-redis's). */
interface CommandOptions {
  /** Rejects the command after this many milliseconds. */
  timeout?: number;
  typeMapping?: TypeMapping;
}

/** Any client that can send a raw command (the node-redis client does). */
export interface CommandSender {
  sendCommand<T>(args: ReadonlyArray<RedisArgument>, options?: CommandOptions): Promise<T>;
}

/**
 * The scripts known to be in the script cache of the Redis at the other end of one connection.
 * Until one is, it is sent whole (EVAL): commands on one connection run in the order sent, but
 * an EVALSHA refused with NOSCRIPT and sent again would run after later ones, and a publisher's
 * messages would take offsets out of order. Forgotten whenever the connection is re-made (the
 * Redis may have restarted with an empty cache).
 */
export class ScriptCache {
  readonly #loaded = new Set<string>();

  has(script: LuaScript): boolean {
    return this.#loaded.has(script.sha);
  }

  add(script: LuaScript): void {
    this.#loaded.add(script.sha);
  }

  clear(): void {
    this.#loaded.clear();
  }
}

export async function runScript<T>(
  client: CommandSender,
  cache: ScriptCache,
  script: LuaScript,
  keys: readonly string[],
  args: readonly RedisArgument[],
  options?: CommandOptions,
): Promise<T> {
  const tail = [String(keys.length), ...keys, ...args];
  if (!cache.has(script)) {
    const result = await client.sendCommand<T>(['EVAL', script.source, ...tail], options);
    cache.add(script);
    return result;
  }
  try {
    return await client.sendCommand<T>(['EVALSHA', script.sha, ...tail], options);
  } catch (error) {
    // Only if someone flushed the script cache under a live connection (SCRIPT FLUSH).
    if (!(error instanceof ErrorReply && error.message.startsWith('NOSCRIPT'))) throw error;
    cache.clear();
    return client.sendCommand<T>(['EVAL', script.source, ...tail], options);
  }
}
