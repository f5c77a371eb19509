/**
 * Chat Completions adapter (`POST /chat/completions`, `stream: true`), the API that
 * local servers speak. Text arrives as `delta.content`, or as `delta.refusal` when the
 * model refuses: the refusal is what it said, so it is the answer. Tool calls arrive as
 * `delta.tool_calls` fragments joined by `index`; results go back as `role: "tool"`
 * messages with the matching `tool_call_id`. Reasoning, which only local servers send,
 * is counted but not kept (reasoning.ts).
 */
import type OpenAI from 'openai';
import type { ChatCompletionChunk, ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import type { ToolDefinition } from '../weather';
import { toChatCompletionsTool } from '../weather';
import type { ResolvedAssistantConfig } from './config';
import { AssistantError } from './errors';
import { checkQuietEvents, checkToolCall, checkToolCallCount } from './limits';
import type { ModelAdapter, RoundInput, RoundListener, RoundResult, ToolCall } from './model-adapter';
import { streamModel } from './model-stream';
import { chatReasoningChars } from './reasoning';

export class ChatAdapter implements ModelAdapter {
  private readonly threads = new Map<string, ChatCompletionMessageParam[]>();
  /**
   * How many messages each thread had after its last completed turn. A turn that fails
   * or is cancelled part-way can leave tool_calls without replies, which the API refuses
   * in every later request; the next turn starts from here instead.
   */
  private readonly committed = new Map<string, number>();

  constructor(
    private readonly client: OpenAI,
    private readonly config: ResolvedAssistantConfig,
    private readonly tools: readonly ToolDefinition[],
  ) {}

  forget(threadId: string): void {
    this.threads.delete(threadId);
    this.committed.delete(threadId);
  }

  async round(threadId: string, input: RoundInput, listener: RoundListener, signal: AbortSignal): Promise<RoundResult> {
    const messages = this.messages(threadId);
    if (input.kind === 'user') {
      messages.length = this.committed.get(threadId) ?? 1; // the system message
      messages.push({ role: 'user', content: input.text });
    } else for (const output of input.outputs) messages.push({ role: 'tool', tool_call_id: output.callId, content: output.output });

    const { config } = this;
    const result = await streamModel(
      config,
      signal,
      listener,
      (requestSignal) =>
        this.client.chat.completions.create(
          { model: config.model, messages, tools: this.tools.map((tool) => toChatCompletionsTool(tool)), stream: true },
          { signal: requestSignal },
        ),
      (stream) => readStream(stream, listener),
    );
    messages.push({
      role: 'assistant',
      content: result.text || null,
      ...(result.toolCalls.length > 0
        ? {
            tool_calls: result.toolCalls.map((call) => ({
              id: call.callId,
              type: 'function' as const,
              function: { name: call.name, arguments: call.arguments },
            })),
          }
        : {}),
    });
    if (result.toolCalls.length === 0) this.committed.set(threadId, messages.length);
    return result;
  }

  private messages(threadId: string): ChatCompletionMessageParam[] {
    let messages = this.threads.get(threadId);
    if (!messages) {
      messages = [{ role: 'system', content: this.config.instructions }];
      this.threads.set(threadId, messages);
    }
    return messages;
  }
}

async function readStream(stream: AsyncIterable<ChatCompletionChunk>, listener: RoundListener): Promise<RoundResult> {
  let text = '';
  let finished = false;
  // Fragments of each tool call arrive spread over chunks, keyed by their index.
  const calls = new Map<number, ToolCall>();
  let quiet = 0;
  for await (const chunk of stream) {
    const choice = chunk.choices?.[0];
    const delta = choice?.delta;
    // The server's JSON is unchecked by the SDK: only text counts as text.
    const content = textOf(delta?.content) + textOf(delta?.refusal);
    const fragments = Array.isArray(delta?.tool_calls) ? delta.tool_calls : [];
    const reasoning = chatReasoningChars(delta);
    if (reasoning > 0) listener.reasoning(reasoning);
    else if (content === '' && fragments.length === 0) checkQuietEvents(++quiet);
    if (content !== '') {
      text += content;
      listener.delta(content);
    }
    for (const fragment of fragments) {
      const call = calls.get(fragment.index) ?? { callId: '', name: '', arguments: '' };
      if (fragment.id) call.callId = fragment.id;
      if (fragment.function?.name) call.name += fragment.function.name;
      if (fragment.function?.arguments) call.arguments += fragment.function.arguments;
      checkToolCall(call);
      calls.set(fragment.index, call);
      checkToolCallCount(calls.size);
    }
    if (choice?.finish_reason) {
      finished = true;
      if (choice.finish_reason === 'length') throw new AssistantError('the model stopped before finishing its answer (length limit)');
      if (choice.finish_reason === 'content_filter') throw new AssistantError('the model stopped: content filtered');
    }
  }
  if (!finished) throw new AssistantError('the model stream ended before a finish_reason arrived');
  const toolCalls = [...calls.entries()].sort(([a], [b]) => a - b).map(([index, call]) => ({
    ...call,
    // Some local servers omit ids; the conversation still needs one per call.
    callId: call.callId || `call_${index}`,
  }));
  for (const call of toolCalls) {
    if (!call.name) throw new AssistantError('the model sent a tool call without a function name');
  }
  return { text, toolCalls };
}

function textOf(value: unknown): string {
  return typeof value === 'string' ? value : '';
}
