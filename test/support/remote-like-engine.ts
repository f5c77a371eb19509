/**
 * A channel engine for relays started in a test process that behaves as a remote one (a Redis
 * backplane) does: it answers on a later turn, and can be put out of reach and back.
 */
import type { ChannelPayload } from '../../src/protocol';
import { EngineUnavailableError, type ChannelEngine, type Published, type Resumed } from '../../src/relay/channel-engine';
import type { LocalChannel, Subscriber } from '../../src/relay/local-fan-out';
import { InMemoryChannelEngine } from '../../src/relay/memory-engine';

/**
 * The only stand-in for an engine: the in-memory one, answering on a later turn, and out of
 * reach while `outage` says why. `holdResumes` keeps resumes unanswered until released.
 */
export class RemoteLikeEngine implements ChannelEngine {
  outage: string | undefined;
  holdResumes = false;
  private readonly held: Array<() => void> = [];
  private readonly inner = new InMemoryChannelEngine({ perChannel: 100, channels: 100, bytes: 1 << 20 });

  get epoch(): string {
    return this.inner.epoch;
  }
  subscribe(channel: string, subscriber: Subscriber): boolean {
    return this.inner.subscribe(channel, subscriber);
  }
  unsubscribe(channel: string, subscriber: Subscriber): boolean {
    return this.inner.unsubscribe(channel, subscriber);
  }
  publish(channel: string, frame: Buffer, payload: ChannelPayload): Promise<Published> {
    return this.later(() => this.inner.publish(channel, frame, payload));
  }
  resume(channel: string, since: number, epoch: string | undefined): Promise<Resumed> {
    if (!this.holdResumes) return this.later(() => this.inner.resume(channel, since, epoch));
    return new Promise((resolve) => this.held.push(() => resolve(this.inner.resume(channel, since, epoch))));
  }
  releaseResumes(): void {
    for (const release of this.held.splice(0)) release();
  }
  health() {
    return this.outage === undefined ? ({ ok: true } as const) : ({ ok: false, reason: this.outage } as const);
  }
  localChannels(include: (channel: string) => boolean, limit: number): LocalChannel[] {
    return this.inner.localChannels(include, limit);
  }
  gauges() {
    return this.inner.gauges();
  }
  close(): Promise<void> {
    return this.inner.close();
  }
  private async later<T>(answer: () => T): Promise<T> {
    await new Promise((resolve) => setImmediate(resolve));
    if (this.outage !== undefined) throw new EngineUnavailableError(this.outage);
    return answer();
  }
}
