/**
 * Numbers, spools and publishes events. An event is written to the spool before it is sent and
 * acknowledged there when the broker's PUBACK arrives; on every (re)connect whatever is still
 * unacknowledged is sent again in order (the projector is idempotent on (node, seq)).
 */
import type { MqttClient } from 'mqtt';
import { codecs, type AgentEvent, type Logger } from '@sitrep/schemas';
import type { Sequence } from './sequence.js';
import type { EventSpool } from './spool.js';

export type EventOf<T extends AgentEvent['type']> = Extract<AgentEvent, { type: T }>;

export interface EventPublisherOptions {
  client: MqttClient;
  topic: string;
  node: string;
  session: () => string;
  seq: Sequence;
  spool: EventSpool;
  log: Logger;
  now: () => number;
}

export class EventPublisher {
  constructor(private readonly o: EventPublisherOptions) {}

  emit<T extends AgentEvent['type']>(type: T, data: EventOf<T>['data']): void {
    this.emitEvent(type, data, false);
  }

  private emitEvent<T extends AgentEvent['type']>(type: T, data: EventOf<T>['data'], overflow: boolean): void {
    const { o } = this;
    const event = { v: 1, node: o.node, session: o.session(), seq: o.seq.next(), ts: o.now(), type, data } as EventOf<T>;
    // Our own output is checked too: an invalid event would only become a dead letter downstream.
    const problem = codecs.event.problem(event);
    if (problem !== null) {
      o.log.error('refusing to publish an invalid event', { type, reason: problem });
      return;
    }
    o.spool.append(event, overflow);
    if (o.client.connected) this.send(event.seq, JSON.stringify(event));
  }

  /** Send everything unacknowledged, oldest first; report spool overflow first. */
  flush(): void {
    const waiting = this.o.spool.unacked();
    const dropped = this.o.spool.takeDropped();
    if (dropped !== null) {
      this.o.log.warn('events were dropped while the broker was unreachable', { ...dropped });
      this.emitEvent('EventsDropped', { ...dropped, reason: `spool limit reached while the broker was unreachable` }, true);
    }
    for (const e of waiting) this.send(e.seq, e.json);
  }

  /** Publish again the kept events from `fromSeq` on (the projector asks after a gap). */
  replay(fromSeq: number): { ok: boolean; message: string } {
    const entries = this.o.spool.since(fromSeq);
    if (entries === null) return { ok: false, message: `seq ${fromSeq} is no longer kept; the oldest kept is ${this.o.spool.oldestSeq()}` };
    for (const e of entries) this.send(e.seq, e.json);
    return { ok: true, message: `replayed ${entries.length} events from seq ${fromSeq}` };
  }

  private send(seq: number, json: string): void {
    this.o.client.publish(this.o.topic, json, { qos: 1 }, (err) => {
      if (err) this.o.log.warn('event not acknowledged yet; kept for the next connection', { seq, error: err.message });
      else this.o.spool.ack(seq);
    });
  }
}
