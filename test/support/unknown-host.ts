/**
 * Answers host-name lookups locally with getaddrinfo's "not found", for tests of how
 * unknown hosts are reported. The machine's resolver would ask a name server that is
 * not on loopback, and tests never send traffic off the machine.
 */
import dns from 'node:dns';

export function stubUnknownHosts(): { asked: string[]; restore(): void } {
  const asked: string[] = [];
  const original = dns.lookup;
  const mutable = dns as unknown as { lookup: unknown };
  mutable.lookup = (hostname: string, options: unknown, callback?: (error: Error) => void) => {
    asked.push(hostname);
    const done = (typeof options === 'function' ? options : callback) as (error: Error) => void;
    const error = Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND', errno: -3008, syscall: 'getaddrinfo', hostname });
    process.nextTick(() => done(error));
  };
  return { asked, restore: () => void (mutable.lookup = original) };
}
