// Child process for bench/host: the project's fake OpenAI server (test/fakes/openai-server.ts,
// compiled to out/), answering every request with the answer the parent scripted, and noting
// (process.hrtime, the machine's monotonic clock, comparable across processes) when each
// text-delta SSE event was handed to the kernel. Talks to the parent over IPC:
//   parent → { type: 'script', deltas, delayMs }     child → { type: 'scripted' }
//   parent → { type: 'writes' }                      child → { type: 'writes', times: [ns strings] }
// and starts with                                   child → { type: 'ready', baseUrl }
'use strict';
const http = require('node:http');
const path = require('node:path');

const root = process.argv[2];
const { startFakeOpenAI, textReply } = require(path.join(root, 'out/test/fakes/openai-server.js'));

let writes = [];
const write = http.ServerResponse.prototype.write;
http.ServerResponse.prototype.write = function timedWrite(chunk, ...rest) {
  const result = write.call(this, chunk, ...rest);
  if (typeof chunk === 'string' && chunk.startsWith('event: response.output_text.delta')) writes.push(process.hrtime.bigint().toString());
  return result;
};

let script = { deltas: ['Hello', ' world.'], delayMs: 0 };

(async () => {
  const fake = await startFakeOpenAI({
    fallback: () => textReply(script.deltas.join(''), { deltas: script.deltas, delayMs: script.delayMs || undefined }),
  });
  process.on('message', (message) => {
    if (message.type === 'script') {
      script = { deltas: message.deltas, delayMs: message.delayMs };
      fake.requests.length = 0;
      process.send({ type: 'scripted' });
    } else if (message.type === 'writes') {
      process.send({ type: 'writes', times: writes });
      writes = [];
    } else if (message.type === 'stop') {
      fake.close().finally(() => process.exit(0));
    }
  });
  process.on('disconnect', () => process.exit(0));
  process.send({ type: 'ready', baseUrl: fake.baseUrl });
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
