/**
 * `weather-relay token --sub NAME [--subscribe PATTERN]… [--publish PATTERN]… [--ttl 30d]`:
 * prints a token signed with the relay's HS256 secret (`--jwt-secret`, or env
 * WEATHER_RELAY_JWT_SECRET) and nothing else, so it can go straight into a variable.
 */
import { parseArgs } from 'node:util';
import { mintToken, parseTtl } from './mint-token';

export const TOKEN_USAGE = `Usage: weather-relay token --sub NAME [--subscribe PATTERN]... [--publish PATTERN]... [--ttl 30d]

  --sub NAME             who holds the token (shown in the relay's logs)
  --subscribe PATTERN    a channel it may subscribe to: a name, or a pattern with *
                         such as 'weather-*'; repeat for several
  --publish PATTERN      a channel it may publish on, likewise
  --ttl LIFETIME         how long it is valid: 30d, 12h, 15m or seconds (default 30d)
  --jwt-secret SECRET    the relay's HS256 secret (default: env WEATHER_RELAY_JWT_SECRET)
`;

/** Parses the arguments after `token` and mints; rejects with an Error of one sentence. */
export async function runTokenCommand(argv: string[], env: NodeJS.ProcessEnv): Promise<string> {
  // parseArgs refuses unknown flags and missing values with an Error of one sentence.
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      sub: { type: 'string' },
      subscribe: { type: 'string', multiple: true },
      publish: { type: 'string', multiple: true },
      ttl: { type: 'string', default: '30d' },
      'jwt-secret': { type: 'string' },
    },
  });
  const secret = values['jwt-secret'] ?? env.WEATHER_RELAY_JWT_SECRET;
  if (!secret) throw new Error('a secret is needed: --jwt-secret SECRET or env WEATHER_RELAY_JWT_SECRET, the same one the relay runs with');
  if (values.sub === undefined) throw new Error('--sub NAME is required: it names the holder in the relay\'s logs');
  const subscribe = values.subscribe ?? [];
  const publish = values.publish ?? [];
  if (subscribe.length === 0 && publish.length === 0) throw new Error('give at least one --subscribe or --publish pattern, or the token allows nothing');
  return mintToken({ secret, sub: values.sub, subscribe, publish, ttlSeconds: parseTtl(values.ttl ?? '30d') });
}
