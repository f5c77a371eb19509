/**
 * A deliberately minimal WebSocket client over raw TCP, for the load generator.
 *
 * Why not `ws`: with 500 subscribers in one generator process, a full client library
 * would spend about as much CPU per delivered frame as the server spends sending it,
 * and the benchmark would measure the generator. This client:
 *   - reads with `net` `onread` into one shared static buffer (no Buffer per read),
 *   - parses only unmasked server frames (FIN=1 text / ping / close),
 *   - hands text payloads to the caller as (buffer, start, end) — no copies, no strings,
 *   - masks its own frames with the all-zero key, so a frame can be built once and
 *     reused (legal per RFC 6455 §5.3 for a benchmark: servers only XOR with the key),
 *   - answers pings with pongs (the relay's heartbeat and Engine.IO's ping stay on).
 * It is a benchmark tool, not a general client: no fragmentation, no extensions.
 */
import { createHash, randomBytes } from 'node:crypto';
import { connect } from 'node:net';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
/** One read buffer for every socket: reads are handled one at a time on the event loop. */
const SHARED_READ_BUFFER = Buffer.allocUnsafe(256 * 1024);
/** Counts reads, so a caller can cache per-read work (a clock reading) across the frames of one read. */
export let readCount = 0;

/** A client→server frame (masked with the zero key, so the payload bytes stay as they are). */
export function clientFrame(payload, opcode = 0x1) {
  const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const length = body.length;
  const headerLength = length < 126 ? 2 : length < 65536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(headerLength + 4 + length);
  frame[0] = 0x80 | opcode;
  if (length < 126) {
    frame[1] = 0x80 | length;
  } else if (length < 65536) {
    frame[1] = 0x80 | 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 0x80 | 127;
    frame.writeBigUInt64BE(BigInt(length), 2);
  }
  frame.writeUInt32BE(0, headerLength); // mask key 0: XOR leaves the payload unchanged
  body.copy(frame, headerLength + 4);
  return frame;
}

/** Where the payload starts inside a frame built by clientFrame for `length` payload bytes. */
export function clientPayloadOffset(length) {
  return (length < 126 ? 2 : length < 65536 ? 4 : 10) + 4;
}

/**
 * Opens a WebSocket to ws://host:port/path. Resolves once the 101 arrives.
 * `onText(buffer, start, end, client)` is called for every text frame; the buffer is only
 * valid during the call (it may come before the promise resolves, with the 101).
 */
export function openLiteWebSocket({ host, port, path = '/', headers = {}, onText, onClose }) {
  return new Promise((resolve, reject) => {
    const key = randomBytes(16).toString('base64');
    const expectedAccept = createHash('sha1').update(key + GUID).digest('base64');
    let state = 'handshake';
    let pending = null; // bytes of an incomplete frame / handshake, copied out of the shared buffer
    let settled = false;

    const client = {
      socket: undefined,
      framesIn: 0,
      pingsIn: 0,
      closed: false,
      send(frame) {
        if (!client.closed) client.socket.write(frame);
      },
      destroy() {
        client.closed = true;
        client.socket.destroy();
      },
    };

    const fail = (error) => {
      if (!settled) {
        settled = true;
        reject(error);
      }
      client.closed = true;
      socket.destroy();
    };

    const parseFrames = (buffer, start, end) => {
      let offset = start;
      while (end - offset >= 2) {
        const b0 = buffer[offset];
        const b1 = buffer[offset + 1];
        let length = b1 & 0x7f;
        let header = 2;
        if (length === 126) {
          if (end - offset < 4) break;
          length = buffer.readUInt16BE(offset + 2);
          header = 4;
        } else if (length === 127) {
          if (end - offset < 10) break;
          length = Number(buffer.readBigUInt64BE(offset + 2));
          header = 10;
        }
        if (b1 & 0x80) return fail(new Error('server sent a masked frame'));
        if (end - offset < header + length) break;
        const payloadStart = offset + header;
        const payloadEnd = payloadStart + length;
        const opcode = b0 & 0x0f;
        if ((b0 & 0x80) === 0) return fail(new Error('fragmented frames are not supported by the bench client'));
        if (opcode === 0x1) {
          client.framesIn++;
          onText(buffer, payloadStart, payloadEnd, client);
        } else if (opcode === 0x9) {
          client.pingsIn++;
          client.send(clientFrame(Buffer.from(buffer.subarray(payloadStart, payloadEnd)), 0xa));
        } else if (opcode === 0x8) {
          client.closed = true;
          const code = length >= 2 ? buffer.readUInt16BE(payloadStart) : 1005;
          client.closeCode = code;
          client.closeReason = buffer.toString('utf8', payloadStart + 2, payloadEnd);
        }
        offset = payloadEnd;
      }
      return offset;
    };

    const onBytes = (nread, buffer) => {
      readCount++;
      let data = buffer;
      let start = 0;
      let end = nread;
      if (pending) {
        data = Buffer.concat([pending, buffer.subarray(0, nread)]);
        end = data.length;
        pending = null;
      }
      if (state === 'handshake') {
        const headerEnd = data.indexOf('\r\n\r\n', start, 'latin1');
        if (headerEnd < 0 || headerEnd >= end) {
          pending = Buffer.from(data.subarray(start, end));
          return;
        }
        const head = data.toString('latin1', start, headerEnd);
        const accept = /\r\nsec-websocket-accept:\s*(\S+)/i.exec(head)?.[1];
        if (!head.startsWith('HTTP/1.1 101') || accept !== expectedAccept) {
          return fail(new Error(`WebSocket handshake refused: ${head.split('\r\n')[0]}`));
        }
        state = 'open';
        start = headerEnd + 4;
        settled = true;
        resolve(client);
      }
      const consumed = parseFrames(data, start, end);
      if (consumed !== undefined && consumed < end) pending = Buffer.from(data.subarray(consumed, end));
    };

    const socket = connect({
      host,
      port,
      noDelay: true,
      onread: { buffer: SHARED_READ_BUFFER, callback: onBytes },
    });
    client.socket = socket;
    socket.on('connect', () => {
      const extra = Object.entries(headers)
        .map(([name, value]) => `${name}: ${value}\r\n`)
        .join('');
      socket.write(
        `GET ${path} HTTP/1.1\r\nHost: ${host}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n${extra}\r\n`,
      );
    });
    socket.on('error', (error) => fail(error));
    socket.on('close', () => {
      client.closed = true;
      if (!settled) fail(new Error('connection closed during the handshake'));
      onClose?.(client);
    });
  });
}
