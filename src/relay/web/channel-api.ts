/**
 * The watch page's two questions to the relay, answered in JSON with the same Authorizer and
 * grants as an upgrade and a subscribe, so the page can say why before it connects:
 *
 *   GET /api/channels               the channels with subscribers that the caller may watch: on this node, and with Redis
 *                                   on every node sharing it (channel-listing.ts)
 *   GET /api/access?channel=NAME    whether the caller may watch NAME (and publish on it)
 *
 * A protected relay wants `Authorization: Bearer <token>` (never a token in the URL): 401
 * without or with a bad one, 403 for a channel the token does not grant, 400 for a name no
 * channel can have. Every refusal is one sentence, counted and logged as the upgrade's are.
 */
import type { IncomingMessage } from 'node:http';
import { channelNameProblem, printable } from '../../protocol';
import { bearerOf } from '../access';
import type { Authorized, Authorizer } from '../auth/authorizer';
import type { Grant } from '../auth/grant';
import { isPending } from '../channel-engine';
import type { RelayLogger } from '../log';
import type { RelayErrorCode, RelayMetrics } from '../metrics';
import type { ChannelLister } from '../channel-listing';

/** Channels one listing holds at most. */
export const MAX_LISTED_CHANNELS = 200;

export interface ChannelApiContext {
  authorizer: Authorizer;
  /** The node's channels, and with Redis the cluster's (channel-listing.ts). */
  listChannels: ChannelLister;
  metrics: RelayMetrics;
  log: RelayLogger;
}

/** Writes a JSON answer (the router adds the headers every web response has). */
export type JsonReply = (status: number, body: object, headers?: Record<string, string>) => void;

const UNAUTHORIZED_HEADERS = { 'www-authenticate': 'Bearer realm="weather-relay"' };

/** GET /api/channels. */
export function answerChannels(request: IncomingMessage, reply: JsonReply, context: ChannelApiContext): void {
  withGrant(request, reply, context, (grant) => {
    context.listChannels((channel) => grant.subscribe.matches(channel), MAX_LISTED_CHANNELS).then(
      (listing) => reply(200, listing),
      (error: unknown) => reply(503, { error: `the channels could not be listed: ${error instanceof Error ? error.message : String(error)}` }),
    );
  });
}

/** GET /api/access?channel=NAME; `query` is the request target's text after `?`. */
export function answerAccess(request: IncomingMessage, query: string, reply: JsonReply, context: ChannelApiContext): void {
  withGrant(request, reply, context, (grant) => {
    const channel = new URLSearchParams(query).get('channel');
    if (channel === null) return refuse(request, reply, context, 400, 'say which channel: /api/access?channel=<name>');
    const problem = channelNameProblem(channel);
    if (problem) return refuse(request, reply, context, 400, problem);
    if (!grant.subscribe.matches(channel)) return refuse(request, reply, context, 403, `this token may not watch channel ${channel}`, grant.who);
    reply(200, { channel, subscribe: true, publish: grant.publish.matches(channel) });
  });
}

/** Runs `then` with the request's grant, or answers 401 (a signed token is checked asynchronously). */
function withGrant(request: IncomingMessage, reply: JsonReply, context: ChannelApiContext, then: (grant: Grant) => void): void {
  const decide = (authorized: Authorized): void => {
    if ('refused' in authorized) refuse(request, reply, context, 401, authorized.refused, authorized.who);
    else then(authorized.grant);
  };
  const authorized = context.authorizer.authorize(bearerOf(request));
  if (!isPending(authorized)) return decide(authorized);
  // The router's guard cannot reach a later turn: whatever fails here ends as a one-sentence 500.
  authorized.then(decide).catch((error: unknown) => {
    context.metrics.countError('internal_error');
    context.log.error(`internal error in a watch page API request: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    reply(500, { error: 'the relay failed to check the token' });
  });
}

const CODES: Record<number, RelayErrorCode> = { 400: 'bad_request', 401: 'unauthorized', 403: 'forbidden' };

function refuse(request: IncomingMessage, reply: JsonReply, context: ChannelApiContext, status: 400 | 401 | 403, reason: string, who?: string): void {
  context.metrics.countError(CODES[status]);
  const path = printable((request.url ?? '').split('?')[0], 40);
  context.log.warn(`refused ${path} from ${request.socket.remoteAddress}${who ? ` (${who})` : ''}: ${status} ${reason}`);
  reply(status, { error: reason }, status === 401 ? UNAUTHORIZED_HEADERS : {});
}
