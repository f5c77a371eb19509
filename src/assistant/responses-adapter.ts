/**
 * Responses API adapter (`POST /responses`, `stream: true`). Text arrives as
 * `response.output_text.delta`; function calls as `function_call` output items;
 * tool results go back as `function_call_output` items with the same `call_id`.
 */
import type OpenAI from 'openai';
import type { ResponseInputItem, ResponseStreamEvent } from 'openai/resources/responses/responses';
import type { ToolDefinition } from '../weather';
import { toResponsesTool } from '../weather';
import type { ResolvedAssistantConfig } from './config';
import { AssistantError } from './errors';
import type { ModelAdapter, RoundInput, RoundResult, ToolCall } from './model-adapter';

interface ResponsesThread {
  /** Everything said so far, for servers that keep no state. */
  history: ResponseInputItem[];
  /** The last response, for servers that store them. */
  lastResponseId?: string;
  /** Set once the server said it cannot find a stored response: resend history from then on. */
  stateless: boolean;
}

export class ResponsesAdapter implements ModelAdapter {
  private readonly threads = new Map<string, ResponsesThread>();

  constructor(
    private readonly client: OpenAI,
    private readonly config: ResolvedAssistantConfig,
    private readonly tool: ToolDefinition,
  ) {}

  forget(threadId: string): void {
    this.threads.delete(threadId);
  }

  async round(threadId: string, input: RoundInput, onDelta: (text: string) => void, signal: AbortSignal): Promise<RoundResult> {
    const thread = this.thread(threadId);
    const newItems: ResponseInputItem[] =
      input.kind === 'user'
        ? [{ role: 'user', content: input.text }]
        : input.outputs.map((output) => ({ type: 'function_call_output', call_id: output.callId, output: output.output }));
    thread.history.push(...newItems);
    const useServerState = this.config.conversationState === 'server' && !thread.stateless && thread.lastResponseId !== undefined;
    const stream = await this.client.responses.create(
      {
        model: this.config.model,
        instructions: this.config.instructions,
        tools: [toResponsesTool(this.tool)],
        input: useServerState ? newItems : thread.history,
        store: this.config.conversationState === 'server',
        stream: true,
        ...(useServerState ? { previous_response_id: thread.lastResponseId } : {}),
      },
      { signal },
    );
    const result = await readStream(stream, onDelta);
    thread.lastResponseId = result.responseId;
    if (result.text) thread.history.push({ role: 'assistant', content: result.text });
    for (const call of result.toolCalls) {
      thread.history.push({ type: 'function_call', call_id: call.callId, name: call.name, arguments: call.arguments });
    }
    return { text: result.text, toolCalls: result.toolCalls };
  }

  private thread(threadId: string): ResponsesThread {
    let thread = this.threads.get(threadId);
    if (!thread) {
      thread = { history: [], stateless: false };
      this.threads.set(threadId, thread);
    }
    return thread;
  }
}

async function readStream(
  stream: AsyncIterable<ResponseStreamEvent>,
  onDelta: (text: string) => void,
): Promise<RoundResult & { responseId: string }> {
  let text = '';
  const toolCalls: ToolCall[] = [];
  for await (const event of stream) {
    switch (event.type) {
      case 'response.output_text.delta':
        text += event.delta;
        onDelta(event.delta);
        break;
      case 'response.output_item.done':
        if (event.item.type === 'function_call') {
          toolCalls.push({ callId: event.item.call_id, name: event.item.name, arguments: event.item.arguments });
        }
        break;
      case 'response.completed':
        return { text, toolCalls, responseId: event.response.id };
      case 'response.failed': {
        const error = event.response.error;
        throw new AssistantError(`the model failed to answer${error ? ` (${error.code}): ${error.message}` : ''}`);
      }
      case 'response.incomplete': {
        const reason = event.response.incomplete_details?.reason ?? 'unknown reason';
        throw new AssistantError(`the model stopped before finishing its answer (${reason})`);
      }
      case 'error':
        throw new AssistantError(`the model reported an error mid-stream${event.code ? ` (${event.code})` : ''}: ${event.message}`);
      default:
        break;
    }
  }
  throw new AssistantError('the model stream ended before the response was completed');
}
