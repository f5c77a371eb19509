/**
 * Filtering the feed: which threads to show (all, this window's, the channel's) and a text
 * search over what they say. The view asks `matches` for a thread whenever it changes, so a
 * filter keeps working while answers stream.
 */
import type { ThreadView } from '../protocol';
import { el, icon } from './dom';

export type FeedScope = 'all' | ThreadView['origin'];
export interface FilterState {
  scope: FeedScope;
  text: string;
}

/** Longest search text: a search box, not a place for documents. */
export const MAX_FILTER_TEXT = 200;
export const NO_FILTER: FilterState = { scope: 'all', text: '' };

const SCOPES: Array<[FeedScope, string]> = [
  ['all', 'All threads'],
  ['local', 'This window'],
  ['remote', 'Channel'],
];

/** A saved filter, checked like anything else read back from storage. */
export function parseFilterState(value: unknown): FilterState {
  const { scope, text } = (typeof value === 'object' && value !== null ? value : {}) as { scope?: unknown; text?: unknown };
  return {
    scope: SCOPES.some(([id]) => id === scope) ? (scope as FeedScope) : 'all',
    text: typeof text === 'string' ? text.slice(0, MAX_FILTER_TEXT) : '',
  };
}

export class FeedFilter {
  readonly root: HTMLElement;
  private readonly scope: HTMLSelectElement;
  private readonly search: HTMLInputElement;
  private readonly status: HTMLElement;
  private needle = '';

  /** `withScope` false: the search alone, where every thread comes from the channel (a read-only page). */
  constructor(initial: FilterState, onChange: (state: FilterState) => void, withScope = true) {
    this.scope = el('select', { id: 'feed-scope', 'aria-label': 'Show threads from' }, ...SCOPES.map(([id, label]) => el('option', { value: id }, label)));
    this.search = el('input', {
      id: 'feed-search',
      type: 'search',
      maxlength: String(MAX_FILTER_TEXT),
      placeholder: 'Filter threads',
      'aria-label': 'Filter threads by text',
      'aria-describedby': 'feed-filter-status',
    });
    this.status = el('span', { id: 'feed-filter-status', class: 'filter-status' });
    this.root = el('div', { class: 'filter', role: 'search' }, icon('filter'), ...(withScope ? [this.scope] : []), this.search, this.status);
    this.scope.value = withScope ? initial.scope : 'all';
    this.search.value = initial.text;
    this.needle = normalize(initial.text);
    const changed = () => {
      this.needle = normalize(this.search.value);
      onChange(this.state);
    };
    this.scope.addEventListener('change', changed);
    this.search.addEventListener('input', changed);
    this.search.addEventListener('keydown', (event) => {
      // Escape empties the search first (the usual search-box behaviour), then lets VS Code have it.
      if (event.key !== 'Escape' || this.search.value === '') return;
      event.preventDefault();
      event.stopPropagation();
      this.search.value = '';
      changed();
    });
  }

  focus(): void {
    this.search.focus({ preventScroll: true });
  }

  get state(): FilterState {
    return { scope: this.scope.value as FeedScope, text: this.search.value };
  }

  get active(): boolean {
    return this.scope.value !== 'all' || this.needle !== '';
  }

  /** Whether a thread from `origin` whose readable text `text()` gives is shown (text read only when searching). */
  matches(origin: ThreadView['origin'], text: () => string): boolean {
    if (this.scope.value !== 'all' && this.scope.value !== origin) return false;
    return this.needle === '' || normalize(text()).includes(this.needle);
  }

  /** Says how much the filter hides, in words (nothing while it hides nothing). */
  setCounts(shown: number, total: number): void {
    const text = !this.active || total === 0 ? '' : shown === 0 ? 'No thread matches the filter' : `${shown} of ${total} threads shown`;
    if (this.status.textContent !== text) this.status.textContent = text;
  }
}

function normalize(text: string): string {
  return text.trim().toLocaleLowerCase();
}
