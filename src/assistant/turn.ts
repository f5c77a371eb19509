/**
 * The tool loop of one chat turn: ask the model, run every tool it calls (in
 * parallel), hand the results back, and repeat until it answers without calls.
 * Every step is reported as an AssistantEvent; the turn always ends with exactly
 * one `completed` or `failed` event, so nobody waits forever.
 */
import type { ResolvedAssistantConfig } from './config';
import { AssistantError, describeModelError } from './errors';
import type { AssistantEvent, TurnResult } from './events';
import { checkAnswerLength, checkReasoningLength } from './limits';
import type { ModelAdapter, RoundInput, ToolCall, ToolOutput } from './model-adapter';
import { waitNotice } from './retry';
import { unknownToolMessage, type Toolbox } from './toolbox';

interface TurnContext {
  adapter: ModelAdapter;
  tools: Toolbox;
  config: ResolvedAssistantConfig;
  emit: (event: AssistantEvent) => void;
}

export async function runTurn(context: TurnContext, threadId: string, question: string, signal: AbortSignal): Promise<TurnResult> {
  const { adapter, config, emit } = context;
  let answer = '';
  let reasoned = 0;
  emit({ type: 'turn_started', threadId, question });
  try {
    let input: RoundInput = { kind: 'user', text: question };
    for (let round = 1; ; round++) {
      signal.throwIfAborted();
      const result = await adapter.round(
        threadId,
        input,
        {
          delta: (text) => {
            checkAnswerLength(answer.length + text.length);
            answer += text;
            emit({ type: 'delta', threadId, text });
          },
          reasoning: (chars) => checkReasoningLength((reasoned += chars)),
          waiting: (wait) => emit({ type: 'waiting', threadId, ...wait, message: waitNotice(wait) }),
        },
        signal,
      );
      if (result.toolCalls.length === 0) break;
      if (round >= config.maxToolRounds) {
        throw new AssistantError(`the model was still calling tools after ${config.maxToolRounds} rounds; stopped the turn`);
      }
      const outputs = await Promise.all(result.toolCalls.map((call) => runTool(context, threadId, call, signal)));
      input = { kind: 'tool_outputs', outputs };
    }
    emit({ type: 'completed', threadId, text: answer });
    return { threadId, status: 'completed', text: answer };
  } catch (error) {
    const failure = describeModelError(error, config, signal);
    emit({ type: 'failed', threadId, message: failure.message, cancelled: failure.cancelled });
    return { threadId, status: failure.cancelled ? 'cancelled' : 'failed', text: answer, error: failure.message, ...(failure.reason ? { reason: failure.reason } : {}) };
  }
}

async function runTool(context: TurnContext, threadId: string, call: ToolCall, signal: AbortSignal): Promise<ToolOutput> {
  const { tools, emit } = context;
  const started = performance.now();
  const tool = tools.find(call.name);
  if (tool === undefined) {
    // The model asked for a tool we never offered: it hears so and can recover.
    const resultJson = JSON.stringify({ error: tools.unknownToolError(call.name) });
    const message = unknownToolMessage(call.name);
    emit({ type: 'tool_started', threadId, callId: call.callId, name: call.name, location: '', arguments: call.arguments, message });
    emit({ type: 'tool_executed', threadId, callId: call.callId, name: call.name, location: '', resultJson, error: 'unknown tool', durationMs: 0 });
    return { callId: call.callId, name: call.name, output: resultJson };
  }
  const parsed = tool.parseArgs(call.arguments);
  const location = parsed.ok ? parsed.args.location : '';
  const message = tool.startedMessage(location);
  emit({ type: 'tool_started', threadId, callId: call.callId, name: call.name, location, arguments: call.arguments, message });
  const run = await tool.run(call.arguments, signal);
  emit({
    type: 'tool_executed',
    threadId,
    callId: call.callId,
    name: call.name,
    location: run.location || location,
    resultJson: run.resultJson,
    ...(run.error !== undefined ? { error: run.error } : {}),
    durationMs: Math.round(performance.now() - started),
  });
  return { callId: call.callId, name: call.name, output: run.resultJson };
}
