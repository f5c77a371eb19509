// The models a server offers (GET /v1/models), from the fake OpenAI server speaking the spec's
// ListModelsResponse, and from hostile servers: every failure is one sentence, every answer bounded.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, test } from 'node:test';
import { listModels, MAX_MODEL_LIST_BYTES, MAX_MODELS, parseModelList } from '../../src/assistant/model-list';
import { startFakeOpenAI } from '../fakes/openai-server';
import { unusedPort } from '../support/ports';

const servers: Server[] = [];
after(() => servers.forEach((server) => server.close()));

/** A loopback server answering every request with `answer`. */
async function serve(answer: (res: import('node:http').ServerResponse) => void): Promise<string> {
  const server = createServer((_req, res) => answer(res));
  servers.push(server);
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
}

test('lists the models the server reports, sorted, with the API key when one is set', async () => {
  const fake = await startFakeOpenAI({ apiKey: 'sk-list', models: ['zeta-7b', 'gpt-test-mini', 'alpha:latest'] });
  try {
    assert.deepEqual(await listModels({ baseUrl: `${fake.baseUrl}/`, apiKey: 'sk-list' }), ['alpha:latest', 'gpt-test-mini', 'zeta-7b']);
    assert.equal(fake.modelListRequests[0].headers.authorization, 'Bearer sk-list');
    await assert.rejects(listModels({ baseUrl: fake.baseUrl, apiKey: 'sk-wrong' }), { name: 'ModelListError', message: `${fake.baseUrl}/models answered 401 (the API key was refused)` });
    assert.equal(fake.requests.length, 0, 'no model request was made');
  } finally {
    await fake.close();
  }
});

test('a wrong base URL, a server that is not there and a slow one are each said in one sentence', async () => {
  const fake = await startFakeOpenAI();
  try {
    const root = fake.baseUrl.replace(/\/v1$/, '');
    await assert.rejects(listModels({ baseUrl: root }), { message: `${root}/models answered 404 (is the base URL the one ending in /v1?)` });
  } finally {
    await fake.close();
  }
  const port = await unusedPort();
  await assert.rejects(listModels({ baseUrl: `http://127.0.0.1:${port}/v1` }), {
    message: `cannot reach http://127.0.0.1:${port}/v1/models: connection refused (is the server running?)`,
  });
  const silent = await serve(() => {}); // never answers
  await assert.rejects(listModels({ baseUrl: silent, timeoutMs: 200 }), { message: `${silent}/models did not answer within 0.2 s` });
  const cancel = new AbortController();
  const asking = listModels({ baseUrl: silent, signal: cancel.signal });
  cancel.abort();
  await assert.rejects(asking, { message: 'cancelled' });
});

test('hostile answers: oversized bodies are cut off, non-lists refused, odd entries skipped, the count bounded', async () => {
  const declared = await serve((res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(MAX_MODEL_LIST_BYTES + 1) });
    res.end();
  });
  await assert.rejects(listModels({ baseUrl: declared }), { message: `${declared}/models sent ${MAX_MODEL_LIST_BYTES + 1} bytes, more than a list of models (${MAX_MODEL_LIST_BYTES})` });
  const endless = await serve((res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    const chunk = 'x'.repeat(64 * 1024);
    for (let i = 0; i < 20; i++) res.write(chunk); // 1.25 MiB, chunked
    res.end();
  });
  await assert.rejects(listModels({ baseUrl: endless }), { message: `${endless}/models sent more than a list of models (over ${MAX_MODEL_LIST_BYTES} bytes)` });
  assert.throws(() => parseModelList('<html>'), { message: 'the server did not answer with JSON' });
  assert.throws(() => parseModelList('{"models": []}'), { message: 'the server did not answer with a list of models' });
  assert.deepEqual(
    parseModelList(JSON.stringify({ data: [{ id: 'ok' }, { id: 42 }, null, { id: '' }, { id: 'bad\u0007bell' }, { id: 'x'.repeat(257) }, { id: 'ok' }, { name: 'no id' }] })),
    ['ok'],
  );
  const many = { data: Array.from({ length: MAX_MODELS + 500 }, (_, i) => ({ id: `m${String(i).padStart(5, '0')}` })) };
  assert.equal(parseModelList(JSON.stringify(many)).length, MAX_MODELS);
});
