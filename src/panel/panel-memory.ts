/**
 * What the reader chose in the panel (collapsed threads, the feed filter), kept in the
 * webview's own state so it survives the panel being hidden and reloaded. Read back as
 * untrusted: checked and bounded like anything else.
 */
import { TEXT_LIMITS } from '../protocol/panel';
import { NO_FILTER, parseFilterState, type FilterState } from './feed-filter';

/** Where the state lives: `acquireVsCodeApi()`'s getState/setState in the webview. */
export interface StateStore {
  getState(): unknown;
  setState(state: unknown): void;
}

/** More collapsed threads than the panel ever shows are not worth remembering. */
const MAX_COLLAPSED = 500;

export class PanelMemory {
  readonly collapsed: Set<string>;
  filter: FilterState;

  constructor(private readonly store: StateStore | undefined) {
    const saved = (store?.getState() ?? {}) as { collapsed?: unknown; filter?: unknown };
    const ids = Array.isArray(saved.collapsed) ? saved.collapsed : [];
    this.collapsed = new Set(ids.filter((id): id is string => typeof id === 'string' && id.length <= TEXT_LIMITS.threadId).slice(-MAX_COLLAPSED));
    this.filter = saved.filter === undefined ? NO_FILTER : parseFilterState(saved.filter);
  }

  setCollapsed(threadId: string, collapsed: boolean): void {
    this.collapsed.delete(threadId);
    if (collapsed) this.collapsed.add(threadId);
    // Oldest choices go first (a Set keeps insertion order).
    for (const id of this.collapsed) {
      if (this.collapsed.size <= MAX_COLLAPSED) break;
      this.collapsed.delete(id);
    }
    this.save();
  }

  setFilter(filter: FilterState): void {
    this.filter = filter;
    this.save();
  }

  private save(): void {
    this.store?.setState({ collapsed: [...this.collapsed], filter: this.filter });
  }
}
