/**
 * The load shapes, each bounded in count and time:
 * - throughput: one publisher, one subscriber, `n` 300-byte messages with at most `window` in
 *   flight; QoS 1 goes to a persistent session (clean: false), like the projector's, so aedes
 *   queues every message in its persistence;
 * - latency: the same pair at a fixed, moderate rate, so the figure is the broker's delay, not a queue;
 * - fleet: `nodes` connections each publishing retained QoS 1 state once a second to a
 *   projector-like persistent subscriber, then a new subscriber fetching every retained topic.
 */
import type { MqttClient } from 'mqtt';
import { createTopics } from '@sitrep/schemas';
import { connect, percentile, Receiver, stamped } from './clients.js';
import type { RunningServer, User } from './servers.js';

const t = createTopics('sitrep/v1');

export interface Users {
  publisher: User;
  projector: User;
  viewer: User;
  fleet: User[];
}

export interface ThroughputResult {
  sent: number;
  received: number;
  seconds: number;
  msgPerS: number;
  brokerCpuUsPerMsg: number;
  p50Ms: number | null;
  p99Ms: number | null;
  complete: boolean;
}

export interface FleetResult {
  nodes: number;
  retainedTopics: number;
  steadyMsgPerS: number;
  steadyReceived: number;
  steadyExpected: number;
  brokerCpuPercent: number;
  lagP50Ms: number | null;
  lagP99Ms: number | null;
  retainedFetchMs: number | null;
  brokerRssMb: number;
}

const tick = () => new Promise<void>((r) => setImmediate(r));
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function pair(server: RunningServer, users: Users, qos: 0 | 1) {
  const topic = t.events('n1');
  const session = { clientId: 'bench-projector', clean: false };
  const sub = qos === 1 ? await connect(server, users.projector, session) : await connect(server, users.viewer);
  await sub.subscribeAsync(topic, { qos });
  const pub = await connect(server, users.publisher);
  const close = async () => {
    await pub.endAsync();
    await sub.endAsync();
    // Drop the persistent session so later phases do not queue for it.
    if (qos === 1) await (await connect(server, users.projector, { clientId: session.clientId, clean: true })).endAsync();
  };
  return { topic, sub, pub, close };
}

export async function throughput(server: RunningServer, users: Users, qos: 0 | 1, n: number, window: number, limitMs: number): Promise<ThroughputResult> {
  const { topic, sub, pub, close } = await pair(server, users, qos);
  const rx = new Receiver(sub);
  const cpu0 = server.cpuSeconds();
  const t0 = performance.now();
  let sent = 0;
  while (sent < n && performance.now() - t0 < limitMs) {
    if (sent - rx.count >= window) {
      await rx.waitFor(sent - window / 2, limitMs);
      continue;
    }
    pub.publish(topic, stamped(), { qos });
    sent++;
    if (sent % 50 === 0) await tick(); // let the sockets move
  }
  const complete = await rx.waitFor(sent, 30_000);
  const seconds = (performance.now() - t0) / 1000;
  const cpu = server.cpuSeconds() - cpu0;
  await close();
  return {
    sent,
    received: rx.count,
    seconds,
    msgPerS: rx.count / seconds,
    brokerCpuUsPerMsg: (cpu * 1e6) / Math.max(1, rx.count),
    p50Ms: percentile(rx.latencies, 50),
    p99Ms: percentile(rx.latencies, 99),
    complete,
  };
}

export async function latency(server: RunningServer, users: Users, qos: 0 | 1, ratePerS: number, seconds: number): Promise<ThroughputResult> {
  const { topic, sub, pub, close } = await pair(server, users, qos);
  const rx = new Receiver(sub);
  const n = Math.round(ratePerS * seconds);
  const perTick = Math.max(1, Math.round(ratePerS / 100)); // 10 ms ticks
  const cpu0 = server.cpuSeconds();
  const t0 = performance.now();
  let sent = 0;
  while (sent < n) {
    for (let i = 0; i < perTick && sent < n; i++, sent++) pub.publish(topic, stamped(), { qos });
    const due = t0 + (sent / ratePerS) * 1000;
    await sleep(Math.max(0, due - performance.now()));
  }
  const complete = await rx.waitFor(sent, 30_000);
  const elapsed = (performance.now() - t0) / 1000;
  const cpu = server.cpuSeconds() - cpu0;
  await close();
  return {
    sent,
    received: rx.count,
    seconds: elapsed,
    msgPerS: rx.count / elapsed,
    brokerCpuUsPerMsg: (cpu * 1e6) / Math.max(1, rx.count),
    p50Ms: percentile(rx.latencies, 50),
    p99Ms: percentile(rx.latencies, 99),
    complete,
  };
}

export async function fleet(server: RunningServer, users: Users, servicesPerNode: number, steadySeconds: number): Promise<FleetResult> {
  const nodes = users.fleet.length;
  const observer = await connect(server, users.projector, { clientId: 'bench-fleet-projector', clean: false });
  await observer.subscribeAsync(t.filter.all(), { qos: 1 });
  const rx = new Receiver(observer);
  const agents: MqttClient[] = [];
  // A few connections at a time: each costs the sitrep broker one scrypt verification.
  for (let i = 0; i < nodes; i += 10) agents.push(...(await Promise.all(users.fleet.slice(i, i + 10).map((u) => connect(server, u)))));

  // Initial state: every node's services and metrics, retained.
  const retainedTopics = nodes * (servicesPerNode + 1);
  await Promise.all(
    agents.map(async (agent, i) => {
      const node = users.fleet[i]!.node!;
      for (let s = 0; s < servicesPerNode; s++) await agent.publishAsync(t.service(node, `unit-${s}`), stamped(), { qos: 1, retain: true });
      await agent.publishAsync(t.metrics(node), stamped(), { qos: 1, retain: true });
    }),
  );
  await rx.waitFor(retainedTopics, 60_000);
  rx.latencies.length = 0;

  // Steady state: each node publishes its metrics once a second, spread over the second.
  const startCount = rx.count;
  const cpu0 = server.cpuSeconds();
  const t0 = performance.now();
  const timers: NodeJS.Timeout[] = [];
  let published = 0;
  await new Promise<void>((resolve) => {
    agents.forEach((agent, i) => {
      const node = users.fleet[i]!.node!;
      let left = steadySeconds;
      const fire = () => {
        agent.publish(t.metrics(node), stamped(), { qos: 1, retain: true });
        published++;
        if (--left > 0) timers.push(setTimeout(fire, 1000));
        else if (published === nodes * steadySeconds) resolve();
      };
      timers.push(setTimeout(fire, (i / nodes) * 1000));
    });
  });
  await rx.waitFor(startCount + published, 30_000);
  const elapsed = (performance.now() - t0) / 1000;
  const cpu = server.cpuSeconds() - cpu0;
  for (const timer of timers) clearTimeout(timer);
  const steadyReceived = rx.count - startCount;
  const lags = [...rx.latencies];

  // A dashboard connecting: every retained topic at once.
  const viewer = await connect(server, users.viewer);
  const fetched = new Receiver(viewer, (_topic, _payload, retain) => retain);
  const f0 = performance.now();
  await viewer.subscribeAsync(t.filter.all(), { qos: 1 });
  const gotAll = await fetched.waitFor(retainedTopics, 30_000);
  const retainedFetchMs = gotAll ? performance.now() - f0 : null;
  const brokerRssMb = server.rssBytes() / 2 ** 20;

  await viewer.endAsync();
  await Promise.all(agents.map((a) => a.endAsync()));
  await observer.endAsync();
  await (await connect(server, users.projector, { clientId: 'bench-fleet-projector', clean: true })).endAsync();
  return {
    nodes,
    retainedTopics,
    steadyMsgPerS: steadyReceived / elapsed,
    steadyReceived,
    steadyExpected: published,
    brokerCpuPercent: (cpu / elapsed) * 100,
    lagP50Ms: percentile(lags, 50),
    lagP99Ms: percentile(lags, 99),
    retainedFetchMs,
    brokerRssMb,
  };
}
