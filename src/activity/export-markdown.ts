/**
 * A thread as a Markdown document, for Export and for reading an answer in an editor (a
 * screen reader's "accessible view"). Answers are Markdown already and go in as they are;
 * tool results are untrusted text and go in fenced, the fence longer than any run of
 * backticks inside them, so nothing in a result can end the block or become markup.
 */
import type { ThreadView, ToolCard, TurnView } from '../protocol';

export function threadToMarkdown(thread: ThreadView, exportedAt: Date): string {
  const where = thread.origin === 'local' ? 'asked in this window' : 'seen on the channel';
  const lines = [`# Weather Assistant — thread ${thread.threadId}`, '', `_${where}; exported ${exportedAt.toISOString()}_`, ''];
  for (const turn of thread.turns) lines.push(...turnLines(turn));
  return `${lines.join('\n').trimEnd()}\n`;
}

/** The turn's answer alone, for reading in an editor. */
export function answerToMarkdown(turn: TurnView): string {
  const title = turn.question === undefined ? '' : `# ${oneLine(turn.question)}\n\n`;
  return `${title}${turn.answer || '_(no answer yet)_'}\n${turn.status === 'error' ? `\n_Failed: ${oneLine(turn.error ?? 'failed')}_\n` : ''}`;
}

function turnLines(turn: TurnView): string[] {
  const lines = [`## ${turn.index + 1}. ${turn.question === undefined ? 'Turn' : oneLine(turn.question)}`, ''];
  for (const tool of turn.tools) lines.push(...toolLines(tool));
  if (turn.omittedTools) lines.push(`- _${turn.omittedTools} more tool events not shown_`, '');
  if (turn.answer) lines.push(turn.answer.trimEnd(), '');
  if (turn.status === 'error') lines.push(`_Failed: ${oneLine(turn.error ?? 'failed')}_`, '');
  else if (turn.status === 'running') lines.push('_Still running when exported._', '');
  return lines;
}

function toolLines(tool: ToolCard): string[] {
  const status = tool.status === 'executed' ? 'done' : tool.status;
  const lines = [`- ${oneLine(tool.message)} — ${status}${tool.durationMs === undefined ? '' : ` (${Math.round(tool.durationMs)} ms)`}`];
  if (tool.result !== undefined) {
    const fence = '`'.repeat(Math.max(3, longestBacktickRun(tool.result) + 1));
    lines.push('', `  ${fence}`, ...tool.result.split('\n').map((line) => `  ${line}`), `  ${fence}`);
  }
  lines.push('');
  return lines;
}

function longestBacktickRun(text: string): number {
  let longest = 0;
  for (const run of text.match(/`+/g) ?? []) longest = Math.max(longest, run.length);
  return longest;
}

/** Headings and list items are one line: line breaks inside user text would start new Markdown blocks. */
function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
