/**
 * This process's retained JS heap, after full garbage collections. `--expose-gc` is not
 * needed on the command line (test/run.mjs does not pass it): the flag is set at run time
 * and `gc` is taken from a fresh context, where V8 then installs it.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let collect: (() => void) | undefined;

export function retainedHeapBytes(): number {
  if (!collect) {
    setFlagsFromString('--expose-gc');
    collect = runInNewContext('gc') as () => void;
  }
  // Twice: the first pass may only free what then becomes collectable.
  collect();
  collect();
  return process.memoryUsage().heapUsed;
}
