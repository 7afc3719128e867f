/**
 * `--profile`'s timeline of one page load, in ms from the page's navigation start: what the
 * browser's network side saw (the page's requests, the WebSocket handshake, every frame up to the
 * fleet snapshot), what the hub saw (the page's client authenticated and ready, its subscriptions,
 * the query and the reply), and the page's own marks. The hub's events are read from aedes in this
 * process and put on the page's clock through wall time (same machine: both read the same clock).
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { CDPSession } from 'playwright-core';

/** The little of aedes this reads (its events), so the bench needs no direct dependency on it. */
interface Bus {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- aedes' own listener type
  on(event: string, listener: (...args: any[]) => void): unknown;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- aedes' own listener type
  off(event: string, listener: (...args: any[]) => void): unknown;
}
interface Client {
  id: string;
}

interface Event {
  /** ms since the epoch. */
  at: number;
  what: string;
}

const wallNow = () => performance.timeOrigin + performance.now();

export interface Timeline {
  /** The events and the page's marks (ms from its origin) in order, ms from `originMs` (the page's performance.timeOrigin). */
  print(originMs: number, marks: readonly { name: string; ms: number }[]): string;
  stop(): void;
}

/** Starts recording; call before navigation. `cdp` must have Network enabled by the caller. */
export function recordTimeline(cdp: CDPSession, aedes: Bus, topicOf: { query: string; reply: string }): Timeline {
  const events: Event[] = [];
  // CDP network timestamps are monotonic seconds; requestWillBeSent also gives wall time.
  let wallMinusTicks: number | null = null;
  const atTicks = (ts: number) => (wallMinusTicks === null ? Number.NaN : ts * 1000 + wallMinusTicks);
  const urls = new Map<string, string>();
  let snapshotSeen = false;
  cdp.on('Network.requestWillBeSent', (e) => {
    wallMinusTicks ??= e.wallTime * 1000 - e.timestamp * 1000;
    const name = e.request.url.replace(/^https?:\/\/[^/]+/, '');
    urls.set(e.requestId, name);
    events.push({ at: atTicks(e.timestamp), what: `browser: request ${name}` });
  });
  cdp.on('Network.responseReceived', (e) => events.push({ at: atTicks(e.timestamp), what: `browser: response ${urls.get(e.requestId) ?? '?'}` }));
  cdp.on('Network.loadingFinished', (e) => events.push({ at: atTicks(e.timestamp), what: `browser: loaded ${urls.get(e.requestId) ?? '?'} (${e.encodedDataLength} B)` }));
  cdp.on('Network.webSocketWillSendHandshakeRequest', (e) => events.push({ at: e.wallTime * 1000, what: 'browser: WebSocket handshake sent' }));
  cdp.on('Network.webSocketHandshakeResponseReceived', (e) => events.push({ at: atTicks(e.timestamp), what: 'browser: WebSocket handshake answered' }));
  const frame = (dir: string) => (e: { timestamp: number; response: { payloadData: string } }) => {
    if (snapshotSeen) return;
    const bytes = Math.round((e.response.payloadData.length * 3) / 4);
    if (bytes > 100_000) snapshotSeen = true;
    events.push({ at: atTicks(e.timestamp), what: `browser: frame ${dir} ${bytes} B` });
  };
  cdp.on('Network.webSocketFrameSent', frame('out'));
  cdp.on('Network.webSocketFrameReceived', frame('in'));

  const isPage = (c: Client | null) => c !== null && c.id.startsWith('ui-');
  const onClient = (c: Client) => isPage(c) && events.push({ at: wallNow(), what: 'hub: client authenticated' });
  const onReady = (c: Client) => isPage(c) && events.push({ at: wallNow(), what: 'hub: client ready (CONNACK written)' });
  const onSubscribe = (subs: { topic: string }[], c: Client) => isPage(c) && events.push({ at: wallNow(), what: `hub: subscribed ${subs.map((s) => s.topic).join(' ')}` });
  const onPublish = (packet: { topic: string; payload: Buffer | string }, c: Client | null) => {
    if (packet.topic.startsWith(topicOf.query) && isPage(c)) events.push({ at: wallNow(), what: `hub: query ${packet.topic}` });
    if (packet.topic.startsWith(topicOf.reply)) events.push({ at: wallNow(), what: `hub: reply from ${c?.id ?? '?'} (${packet.payload.length} B)` });
  };
  // How late the hub's event loop runs its callbacks while the page loads, and the hub process's
  // CPU (its main thread, the projector's worker and this bench): what every answer waits behind.
  const delay = monitorEventLoopDelay({ resolution: 5 });
  delay.enable();
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  aedes.on('client', onClient);
  aedes.on('clientReady', onReady);
  aedes.on('subscribe', onSubscribe);
  aedes.on('publish', onPublish);
  return {
    print(originMs, marks) {
      const ms = (ns: number) => (ns / 1e6).toFixed(0);
      const cpu = process.cpuUsage(cpu0);
      const wall = performance.now() - wall0;
      const hub = `  hub over the load: event loop delay p50 ${ms(delay.percentile(50))} ms, p99 ${ms(delay.percentile(99))} ms, max ${ms(delay.max)} ms; process CPU ${(((cpu.user + cpu.system) / 1000 / wall) * 100).toFixed(0)} % of one core`;
      return [hub, ...[...events, ...marks.map((m) => ({ at: originMs + m.ms, what: `page: ${m.name}` }))]
        .filter((e) => Number.isFinite(e.at))
        .sort((a, b) => a.at - b.at)
        .map((e) => `  ${(e.at - originMs).toFixed(0).padStart(6)} ms  ${e.what}`)].join('\n');
    },
    stop() {
      delay.disable();
      aedes.off('client', onClient);
      aedes.off('clientReady', onReady);
      aedes.off('subscribe', onSubscribe);
      aedes.off('publish', onPublish);
    },
  };
}
