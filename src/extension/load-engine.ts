/**
 * Loads the assistant engine (and with it the OpenAI SDK, most of the extension's code)
 * on first use rather than at activation, which stays fast. The extension bundle keeps
 * this require out of itself: the build maps it to dist/engine.js.
 */
import type * as Engine from '../assistant';

let engine: typeof Engine | undefined;

export function loadEngine(): typeof Engine {
  engine ??= require('../assistant') as typeof Engine;
  return engine;
}
