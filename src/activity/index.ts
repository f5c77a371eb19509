/** The activity store: what the Live Activity panel shows, without any VS Code dependency. */
export { ActivityStore, type ActivityStoreOptions, type PayloadSource } from './store';

export { PanelBatcher } from './panel-batcher';

export { answerToMarkdown, threadToMarkdown } from './export-markdown';
