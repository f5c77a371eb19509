/**
 * The relay's front page: the channels this page may watch (GET /api/channels: those with
 * subscribers on this relay, or with Redis on any of its nodes, as far as the token allows), each a link to its watch page, and a
 * field to type a channel's name. A protected relay asks for its token first, once.
 */
import { channelNameProblem } from '../protocol';
import { el } from '../panel/dom';
import type { IndexPageData } from './page-data';
import { listChannels, type WatchableChannel } from './relay-api';
import { TokenForm } from './token-form';
import { forgetToken, saveToken, savedToken } from './token-store';

export function startIndexPage(app: HTMLElement, data: IndexPageData): void {
  let token = data.auth === 'token' ? savedToken() : undefined;
  const status = el('p', { class: 'channels-status', role: 'status' });
  const list = el('ul', { class: 'channel-list', hidden: '' });
  const refresh = el('button', { type: 'button' }, 'Refresh');
  let loads = 0;
  const load = async () => {
    const attempt = ++loads;
    status.textContent = 'Asking the relay for its channels…';
    const answer = await listChannels(token);
    if (attempt !== loads) return;
    if (answer.kind === 'channels') {
      tokenForm.hide(refresh);
      showChannels(answer.channels);
      if (answer.incomplete) status.textContent = `${status.textContent} ${answer.incomplete}`;
    } else if (answer.kind === 'refused' && answer.refusal.kind === 'token') {
      forgetToken();
      token = undefined;
      showChannels([]);
      status.textContent = 'The channels are listed once the relay has a token it accepts.';
      tokenForm.show(answer.refusal.reason, false);
    } else {
      showChannels([]);
      status.textContent = answer.kind === 'refused' ? answer.refusal.reason : `${answer.problem} Try Refresh in a moment.`;
    }
  };
  const showChannels = (channels: WatchableChannel[]) => {
    list.replaceChildren(
      ...channels.map(({ name, subscribers }) =>
        el('li', {}, el('a', { href: watchPath(name) }, name), el('span', { class: 'subscribers' }, ` · ${subscribers} ${subscribers === 1 ? 'subscriber' : 'subscribers'}`)),
      ),
    );
    list.hidden = channels.length === 0;
    status.textContent = channels.length === 0 ? 'No channel has subscribers on this relay right now: type the name of one below.' : `${channels.length} ${channels.length === 1 ? 'channel' : 'channels'} with subscribers.`;
  };
  const tokenForm = new TokenForm((typed) => {
    saveToken(typed);
    token = typed;
    void load();
  });
  refresh.addEventListener('click', () => void load());

  app.replaceChildren(
    el(
      'div',
      { class: 'index-page' },
      el('h1', {}, 'Weather Assistant Live'),
      el('p', {}, 'Watch a channel of this relay live, read-only: the questions, weather checks and answers published on it, as they happen.'),
      el('section', { 'aria-labelledby': 'channels-heading' }, el('div', { class: 'section-head' }, el('h2', { id: 'channels-heading' }, 'Channels'), refresh), tokenForm.root, status, list),
      el('section', { 'aria-labelledby': 'by-name-heading' }, el('h2', { id: 'by-name-heading' }, 'Watch a channel by name'), channelForm()),
    ),
  );
  if (data.auth === 'token' && token === undefined) {
    status.textContent = 'The channels are listed once the relay has a token it accepts.';
    tokenForm.show('This relay needs a token to list and watch its channels.', true);
  } else {
    void load();
  }
}

/** A field for a channel's name, checked by the protocol's rules before the page goes there. */
function channelForm(): HTMLFormElement {
  const input = el('input', { id: 'channel-name', type: 'text', maxlength: '128', autocomplete: 'off', spellcheck: 'false', autocapitalize: 'off', 'aria-describedby': 'channel-problem' });
  const problem = el('p', { id: 'channel-problem', class: 'channel-problem', role: 'alert' });
  const form = el('form', { class: 'channel-form' }, el('div', { class: 'token-row' }, el('label', { for: 'channel-name' }, 'Channel'), input, el('button', { type: 'submit' }, 'Watch')), problem);
  form.addEventListener('submit', (event) => {
    // The page navigates itself: nothing is submitted (the CSP allows no form action).
    event.preventDefault();
    const name = input.value.trim();
    const why = channelNameProblem(name);
    if (why !== undefined) {
      problem.textContent = `${why.charAt(0).toUpperCase()}${why.slice(1)}.`;
      input.focus();
      return;
    }
    problem.textContent = '';
    window.location.assign(watchPath(name));
  });
  return form;
}

function watchPath(channel: string): string {
  return `/watch/${encodeURIComponent(channel)}`;
}
