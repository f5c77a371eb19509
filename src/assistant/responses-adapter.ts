/**
 * Responses API adapter (`POST /responses`, `stream: true`). Text arrives as
 * `response.output_text.delta`, or as `response.refusal.delta` when the model refuses:
 * the refusal is what it said, so it is the answer. Function calls arrive as
 * `function_call` output items; tool results go back as `function_call_output` items
 * with the same `call_id`. Reasoning deltas are counted but not kept (reasoning.ts).
 */
import OpenAI from 'openai';
import type { ResponseInputItem, ResponseStreamEvent } from 'openai/resources/responses/responses';
import type { ToolDefinition } from '../weather';
import { toResponsesTool } from '../weather';
import type { ResolvedAssistantConfig } from './config';
import { AssistantError } from './errors';
import { checkArgumentsLength, checkQuietEvents, checkToolCall, checkToolCallCount } from './limits';
import type { ModelAdapter, RoundInput, RoundListener, RoundResult, ToolCall } from './model-adapter';
import { streamModel } from './model-stream';
import { reasoningChars } from './reasoning';

interface ResponsesThread {
  /** Everything said so far, for servers that keep no state. */
  history: ResponseInputItem[];
  /** The last response, for servers that store them. */
  lastResponseId?: string;
  /** Set once the server said it cannot find a stored response: resend history from then on. */
  stateless: boolean;
  /**
   * Where the last completed turn left the thread. A turn that fails or is cancelled
   * part-way can leave tool calls without outputs, which the API refuses in every later
   * request; the next turn starts from here instead.
   */
  committed: { historyLength: number; lastResponseId?: string };
}

export class ResponsesAdapter implements ModelAdapter {
  private readonly threads = new Map<string, ResponsesThread>();

  constructor(
    private readonly client: OpenAI,
    private readonly config: ResolvedAssistantConfig,
    private readonly tools: readonly ToolDefinition[],
  ) {}

  forget(threadId: string): void {
    this.threads.delete(threadId);
  }

  async round(threadId: string, input: RoundInput, listener: RoundListener, signal: AbortSignal): Promise<RoundResult> {
    const thread = this.thread(threadId);
    if (input.kind === 'user') {
      thread.history.length = thread.committed.historyLength;
      thread.lastResponseId = thread.committed.lastResponseId;
    }
    const newItems: ResponseInputItem[] =
      input.kind === 'user'
        ? [{ role: 'user', content: input.text }]
        : input.outputs.map((output) => ({ type: 'function_call_output', call_id: output.callId, output: output.output }));
    thread.history.push(...newItems);
    const useServerState = this.config.conversationState === 'server' && !thread.stateless && thread.lastResponseId !== undefined;
    let result: RoundResult & { responseId: string };
    try {
      result = await this.request(useServerState ? newItems : thread.history, useServerState ? thread.lastResponseId : undefined, listener, signal);
    } catch (error) {
      if (!useServerState || !isMissingPreviousResponse(error)) throw error;
      // The server keeps no responses (or forgot this one): from now on this thread sends its whole history.
      thread.stateless = true;
      result = await this.request(thread.history, undefined, listener, signal);
    }
    thread.lastResponseId = result.responseId;
    if (result.text) thread.history.push({ role: 'assistant', content: result.text });
    for (const call of result.toolCalls) {
      thread.history.push({ type: 'function_call', call_id: call.callId, name: call.name, arguments: call.arguments });
    }
    if (result.toolCalls.length === 0) thread.committed = { historyLength: thread.history.length, lastResponseId: thread.lastResponseId };
    return { text: result.text, toolCalls: result.toolCalls };
  }

  private async request(
    input: ResponseInputItem[],
    previousResponseId: string | undefined,
    listener: RoundListener,
    signal: AbortSignal,
  ): Promise<RoundResult & { responseId: string }> {
    const { config } = this;
    return streamModel(
      config,
      signal,
      listener,
      (requestSignal) =>
        this.client.responses.create(
          {
            model: config.model,
            instructions: config.instructions,
            tools: this.tools.map((tool) => toResponsesTool(tool)),
            input,
            store: config.conversationState === 'server',
            stream: true,
            ...(previousResponseId ? { previous_response_id: previousResponseId } : {}),
          },
          { signal: requestSignal },
        ),
      (stream) => readStream(stream, listener),
    );
  }

  private thread(threadId: string): ResponsesThread {
    let thread = this.threads.get(threadId);
    if (!thread) {
      thread = { history: [], stateless: false, committed: { historyLength: 0 } };
      this.threads.set(threadId, thread);
    }
    return thread;
  }
}

/** A 400/404 about previous_response_id: the server does not have that response. */
function isMissingPreviousResponse(error: unknown): boolean {
  if (!(error instanceof OpenAI.APIError) || (error.status !== 400 && error.status !== 404)) return false;
  return error.code === 'previous_response_not_found' || /previous_response/i.test(`${error.param ?? ''} ${error.message}`);
}

async function readStream(stream: AsyncIterable<ResponseStreamEvent>, listener: RoundListener): Promise<RoundResult & { responseId: string }> {
  let text = '';
  const toolCalls: ToolCall[] = [];
  // Argument characters streamed so far per call, so that a call whose arguments never end is stopped.
  const argumentChars = new Map<string, number>();
  let quiet = 0;
  for await (const event of stream) {
    switch (event.type) {
      case 'response.output_text.delta':
      case 'response.refusal.delta':
        // The server's JSON is unchecked by the SDK: only text counts as text.
        if (typeof event.delta !== 'string' || event.delta === '') {
          checkQuietEvents(++quiet);
          break;
        }
        text += event.delta;
        listener.delta(event.delta);
        break;
      case 'response.reasoning_summary_text.delta':
      case 'response.reasoning_text.delta': {
        const chars = reasoningChars(event.delta);
        if (chars > 0) listener.reasoning(chars);
        else checkQuietEvents(++quiet);
        break;
      }
      case 'response.function_call_arguments.delta': {
        const chars = (argumentChars.get(event.item_id) ?? 0) + String(event.delta).length;
        argumentChars.set(event.item_id, chars);
        checkToolCallCount(argumentChars.size);
        checkArgumentsLength(chars);
        break;
      }
      case 'response.output_item.done':
        if (event.item?.type === 'function_call') {
          const call = { callId: event.item.call_id, name: event.item.name, arguments: event.item.arguments };
          checkToolCall(call);
          toolCalls.push(call);
          checkToolCallCount(toolCalls.length);
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
        checkQuietEvents(++quiet);
        break;
    }
  }
  throw new AssistantError('the model stream ended before the response was completed');
}
