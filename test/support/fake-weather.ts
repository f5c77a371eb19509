/**
 * The fake weather server for a describe block: started before its tests, reset before
 * each, closed after. Returns a getter, because the server exists only once `before` ran.
 */
import { after, before, beforeEach } from 'node:test';
import { startFakeWeatherServer, type FakeWeatherOptions, type FakeWeatherServer } from '../fakes/weather-server';

export function useFakeWeatherServer(options: FakeWeatherOptions = {}): () => FakeWeatherServer {
  let server: FakeWeatherServer | undefined;
  before(async () => {
    server = await startFakeWeatherServer(options);
  });
  after(() => server?.close());
  beforeEach(() => server?.reset());
  return () => {
    if (!server) throw new Error('the fake weather server is not running (use it inside a test)');
    return server;
  };
}
