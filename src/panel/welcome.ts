/**
 * What the panel shows while it has no activity: the same steps as the Get Started
 * walkthrough, each with its buttons and its state now (which model, which relay), so a
 * first-time user sees that no model is configured before asking, not after.
 */
import { clip, type HeaderView, type PanelToHost } from '../protocol/panel';
import { DISPLAY_LIMITS, el, icon } from './dom';

type ButtonFactory = (label: string, codicon: string, intent: PanelToHost, description?: string) => HTMLButtonElement;

export class Welcome {
  /** What the content was built from: rebuilt only when it changes, so focus and reading position stay. */
  private shownFor = '';

  constructor(
    readonly root: HTMLElement,
    private readonly button: ButtonFactory,
  ) {}

  render(header: HeaderView | undefined): void {
    const key = JSON.stringify([header?.hasApiKey, header?.model, header?.connection, header?.uri, header?.channel]);
    if (key === this.shownFor) return;
    this.shownFor = key;
    const focused = this.root.contains(document.activeElement) ? (document.activeElement as HTMLElement).getAttribute('aria-label') : null;
    this.root.replaceChildren(...this.content(header));
    // The same button, rebuilt, keeps the reader (else the first one of the welcome does).
    if (focused !== null) {
      const buttons = Array.from(this.root.querySelectorAll('button'));
      (buttons.find((b) => b.getAttribute('aria-label') === focused) ?? buttons[0])?.focus();
    }
  }

  private content(header: HeaderView | undefined): Node[] {
    const configured = header?.hasApiKey ?? true;
    const model = header?.model ? clip(header.model, DISPLAY_LIMITS.header) : undefined;
    const reachable = header === undefined || header.connection === 'connected' || header.connection === 'embedded';
    const relay = header ? `${clip(header.uri, DISPLAY_LIMITS.header)}, channel ${header.channel}` : '';
    const step = (title: string, state: Array<Node | string>, ...buttons: HTMLButtonElement[]) =>
      el('li', {}, el('h3', {}, title), el('p', {}, ...state), ...(buttons.length > 0 ? [el('p', { class: 'welcome-actions' }, ...buttons)] : []));
    return [
      el('h2', { class: 'welcome-title' }, 'Get started'),
      el(
        'ol',
        { class: 'welcome-steps' },
        step(
          'Choose a model',
          configured
            ? [icon('pass'), ` Ready: ${model ?? 'a model is configured'}.`]
            : [icon('warning'), ' No model is configured yet, so questions cannot be answered. Set an OpenAI API key, or use a model server on this machine (Ollama, LM Studio, vLLM, llama.cpp).'],
          ...(configured
            ? [this.button('Choose Model', 'list-selection', { kind: 'chooseModel' }, 'Choose Model')]
            : [this.button('Set API Key', 'key', { kind: 'setApiKey' }), this.button('Use a Local Server', 'server', { kind: 'useLocalServer' })]),
        ),
        step('Ask a question', ['Type it in the box below and press Enter, or run “Weather Assistant: Ask” from the Command Palette.'], this.button('Ask', 'comment-discussion', { kind: 'ask' }, 'Ask a question')),
        step('Watch it here', ['Each weather check, its result and the streamed answer appear here live, with anything else published on the channel.']),
        step(
          'Share the channel',
          reachable
            ? [`Publishing to ${relay}${header?.connection === 'embedded' ? ' (a relay inside VS Code: only this machine sees it)' : ''}.`]
            : [icon('warning'), ` The relay (${relay}) is not reachable, so other windows will not see your questions yet.`],
          ...(reachable ? [] : [this.button('Reconnect', 'debug-restart', { kind: 'reconnect' })]),
          this.button('Set Server URI', 'plug', { kind: 'setServerUri' }),
          this.button('Set Relay Token', 'lock', { kind: 'setRelayToken' }),
        ),
      ),
      el('p', {}, this.button('Open the Walkthrough', 'book', { kind: 'openWalkthrough' })),
    ];
  }
}
