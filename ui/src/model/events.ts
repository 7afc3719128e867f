/** One line of text (and its evidence) per event, for the live stream and host pages. */
import type { AgentEvent } from '@sitrep/schemas';

export interface EventText {
  readonly text: string;
  readonly tone: 'good' | 'bad' | 'neutral';
  readonly evidence: readonly string[];
  /** The service, process or check the event is about, if any. */
  readonly subject: string | null;
}

export function describeEvent(e: AgentEvent): EventText {
  switch (e.type) {
    case 'ServiceStateChanged': {
      const d = e.data;
      const why = [d.result, d.exitCode !== undefined && d.exitCode !== null ? `exit ${d.exitCode}` : null, d.signal ?? null].filter((x) => x !== undefined && x !== null);
      return {
        text: `${d.service}: ${d.from} → ${d.to}${why.length > 0 ? ` (${why.join(', ')})` : ''}`,
        tone: d.to === 'running' ? 'good' : d.to === 'failed' || d.expect === 'running' ? 'bad' : 'neutral',
        evidence: d.lastLines ?? [],
        subject: d.service,
      };
    }
    case 'CheckCompleted':
      return { text: `${e.data.check}: ${e.data.status} — ${e.data.message}`, tone: e.data.status === 'OK' ? 'good' : e.data.status === 'UPDATE' ? 'neutral' : 'bad', evidence: [], subject: e.data.check };
    case 'CommandCompleted':
      return {
        text: `${e.data.action} ${e.data.target}${e.data.by !== undefined ? ` by ${e.data.by}` : ''}: ${e.data.outcome} — ${e.data.message}`,
        tone: e.data.outcome === 'ok' ? 'good' : 'bad',
        evidence: [],
        subject: e.data.target,
      };
    case 'ProcessExited':
      return {
        text: `${e.data.process} exited (${e.data.signal ?? `code ${e.data.exitCode ?? '?'}`})${e.data.willRestart ? `, restarting in ${Math.round((e.data.restartInMs ?? 0) / 100) / 10} s` : ''}`,
        tone: 'bad',
        evidence: e.data.lastLines ?? [],
        subject: e.data.process,
      };
    case 'ProcessRestarted':
      return { text: `${e.data.process} restarted (attempt ${e.data.attempt}, pid ${e.data.pid})`, tone: 'good', evidence: [], subject: e.data.process };
    case 'ProcessGaveUp':
      return { text: `${e.data.process}: gave up after ${e.data.restarts} restarts`, tone: 'bad', evidence: e.data.lastLines ?? [], subject: e.data.process };
    case 'HealthCheckFailed':
      return { text: `${e.data.service} unhealthy (${e.data.consecutiveFailures} failures): ${e.data.message}`, tone: 'bad', evidence: [], subject: e.data.service };
    case 'HealthCheckRecovered':
      return { text: `${e.data.service} healthy again: ${e.data.message}`, tone: 'good', evidence: [], subject: e.data.service };
    case 'AgentStarted':
      return { text: `agent ${e.data.version} started (pid ${e.data.pid})`, tone: 'neutral', evidence: [], subject: null };
    case 'EventsDropped':
      return { text: `${e.data.count} events dropped: ${e.data.reason}`, tone: 'bad', evidence: [], subject: null };
  }
}

export function eventMatches(e: AgentEvent, text: string): boolean {
  const q = text.trim().toLowerCase();
  if (q === '') return true;
  return e.node.includes(q) || e.type.toLowerCase().includes(q) || describeEvent(e).text.toLowerCase().includes(q);
}
