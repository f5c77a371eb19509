/**
 * What the relay's HTML shell says on <body>: which page this is, the channel (watch page),
 * the relay's WebSocket address and whether it needs a token. Checked here once, by the
 * protocol's own rules, like anything else the page reads.
 */
import { channelNameProblem, relayUriProblem } from '../protocol';

export type RelayAuth = 'open' | 'token';

export interface IndexPageData {
  page: 'index';
  auth: RelayAuth;
}

export interface WatchPageData {
  page: 'watch';
  channel: string;
  relayUrl: string;
  auth: RelayAuth;
}

/** The page to show, or why none can be. */
export function readPageData(body: HTMLElement): IndexPageData | WatchPageData | { problem: string } {
  const { page, channel, relayUrl, auth } = body.dataset;
  if (auth !== 'open' && auth !== 'token') return { problem: 'The page does not say whether the relay needs a token (data-auth).' };
  if (page === 'index') return { page, auth };
  if (page !== 'watch') return { problem: 'The page does not say what to show (data-page).' };
  const channelProblem = channelNameProblem(channel);
  if (channelProblem !== undefined) return { problem: `This is no channel to watch: ${channelProblem}.` };
  const uriProblem = relayUriProblem(relayUrl);
  if (uriProblem !== undefined) return { problem: `The page does not name a usable relay address: ${uriProblem}.` };
  return { page, channel: channel!, relayUrl: relayUrl!, auth };
}
