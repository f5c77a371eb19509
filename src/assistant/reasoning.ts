/**
 * Reasoning that a model streams before (or between) its answers. It is progress, not
 * silence: a model may think for tens of thousands of tokens in small deltas, and
 * counting those as events "saying nothing" would stop it mid-thought. It is neither
 * kept nor published, only measured against the turn's reasoning budget (limits.ts).
 */

/**
 * Reasoning characters in a Chat Completions delta. The field is not part of OpenAI's
 * API but of the local servers speaking it: llama.cpp, LM Studio, vLLM and DeepSeek
 * send `reasoning_content`, Ollama and newer vLLM `reasoning` (some send both, with
 * the same text, so the longer one counts). Anything but a string is not reasoning.
 */
export function chatReasoningChars(delta: unknown): number {
  if (typeof delta !== 'object' || delta === null) return 0;
  const { reasoning_content: content, reasoning } = delta as { reasoning_content?: unknown; reasoning?: unknown };
  return Math.max(reasoningChars(content), reasoningChars(reasoning));
}

/** Characters of one reasoning delta as the server sent it; anything but a string is not reasoning. */
export function reasoningChars(delta: unknown): number {
  return typeof delta === 'string' ? delta.length : 0;
}

