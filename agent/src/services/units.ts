/**
 * systemd units as services of the contract: the watcher's states go to retained
 * `services/{unit}` topics, its transitions become ServiceStateChanged events carrying the
 * evidence (Result, exit code or signal, the unit's last journal lines), the journal goes to
 * `logs/{unit}`, and discovery adds failed or matching units to the watch list.
 */
import { join } from 'node:path';
import type { Birth, LogBatch, Logger, ServiceState } from '@sitrep/schemas';
import type { ResolvedAgentConfig } from '../config/load.js';
import type { EventPublisher } from '../events/publisher.js';
import { journalTail, startJournalFollower, type JournalFollower } from '../journal/follower.js';
import { runUnitAction, type UnitAction } from '../systemd/control.js';
import { discoverUnits } from '../systemd/discovery.js';
import { exitOf } from '../systemd/unit-props.js';
import { startUnitWatcher, type UnitSpec, type UnitWatcher } from '../systemd/watcher.js';

/** Journal lines about a death arrive a moment after the state change; wait for them. */
export const EVIDENCE_DELAY_MS = 300;

export interface UnitServicesOptions {
  config: ResolvedAgentConfig;
  log: Logger;
  now: () => number;
  events: EventPublisher;
  publishState(unit: string, state: ServiceState | null): void;
  publishLogs(unit: string, batch: LogBatch): void;
  /** The watch list changed (discovery): the birth must be republished. */
  onWatchListChanged(): void;
  forcePoll?: boolean;
}

export interface UnitServices {
  watched(): Birth['services'];
  states(): ServiceState[];
  allowedActions(unit: string): readonly UnitAction[] | undefined;
  runUnitAction(action: UnitAction, unit: string): Promise<{ ok: boolean; message: string }>;
  refreshResources(): Promise<void>;
  readonly sourceKind: UnitWatcher['sourceKind'];
  stop(): Promise<void>;
}

export async function startUnitServices(o: UnitServicesOptions): Promise<UnitServices> {
  const { config, log } = o;
  const configured: UnitSpec[] = config.services.map((s) => ({ unit: s.unit, expect: s.expect, actions: s.actions, discovered: false }));
  // Transitions waiting for their evidence; run at once on stop so none is lost.
  const pendingEvidence = new Map<NodeJS.Timeout, () => Promise<void>>();
  const reporting = new Map<string, Promise<void>>();
  let journal: JournalFollower | null = null;
  if (config.journal.enabled) {
    journal = startJournalFollower({
      log: log.child('journal'),
      evidenceLines: config.systemd.evidenceLines,
      maxLinesPerSecond: config.journal.maxLinesPerSecond,
      onBatch: (unit, lines, dropped) =>
        o.publishLogs(unit, { v: 1, node: config.node, source: unit, lines, ...(dropped > 0 ? { dropped } : {}) }),
    });
  }

  const watcher = await startUnitWatcher({
    node: config.node,
    log: log.child('systemd'),
    statePath: join(config.stateDir, 'unit-states.json'),
    pollIntervalMs: config.systemd.pollInterval,
    now: o.now,
    forcePoll: o.forcePoll ?? false,
    onState: (s) => o.publishState(s.service, s),
    onRemoved: (unit) => o.publishState(unit, null),
    onTransition: (t) => {
      const report = async () => {
        const { exitCode, signal } = t.to === 'failed' || t.to === 'stopped' ? exitOf(t.props) : { exitCode: null, signal: null };
        log.info('service changed state', { unit: t.unit, from: t.from, to: t.to, result: t.props.result, signal });
        let lastLines = journal?.lastLines(t.unit) ?? [];
        // Nothing seen yet (the follower had just started): ask the journal directly.
        if (lastLines.length === 0 && journal !== null && config.systemd.evidenceLines > 0) lastLines = await journalTail(t.unit, config.systemd.evidenceLines);
        o.events.emit('ServiceStateChanged', {
          service: t.unit,
          from: t.from,
          to: t.to,
          expect: t.expect,
          result: t.props.result.slice(0, 64),
          exitCode,
          signal,
          lastLines: lastLines.map((l) => l.slice(0, 4096)),
        });
      };
      // Reports of one unit run one after another, so their events keep the order of the changes.
      const queued = () => {
        const next = (reporting.get(t.unit) ?? Promise.resolve()).then(report, report);
        reporting.set(t.unit, next);
        return next;
      };
      const timer = setTimeout(() => {
        pendingEvidence.delete(timer);
        void queued();
      }, EVIDENCE_DELAY_MS);
      pendingEvidence.set(timer, queued);
    },
  });

  async function apply(specs: UnitSpec[]): Promise<void> {
    await watcher.setSpecs(specs);
    journal?.setUnits(specs.map((s) => s.unit));
  }
  await apply(configured);

  let discovery: NodeJS.Timeout | undefined;
  const { discover } = config;
  if (discover.failed || discover.match.length > 0) {
    const rescan = async () => {
      try {
        const found = await discoverUnits(discover);
        const extra = found
          .filter((u) => !configured.some((c) => c.unit === u))
          .map((unit): UnitSpec => ({ unit, expect: 'any', actions: [], discovered: true }));
        const next = [...configured, ...extra];
        const before = watcher.specs().map((s) => s.unit).join('\n');
        if (next.map((s) => s.unit).join('\n') !== before) {
          await apply(next);
          o.onWatchListChanged();
        }
      } catch (err) {
        log.warn('unit discovery failed', { error: (err as Error).message });
      }
    };
    await rescan();
    discovery = setInterval(() => void rescan(), discover.every);
    discovery.unref();
  }

  return {
    watched: () =>
      watcher.specs().map((s) => ({ id: s.unit, kind: 'systemd' as const, expect: s.expect, actions: [...s.actions] })),
    states: () => watcher.states(),
    allowedActions: (unit) => watcher.specs().find((s) => s.unit === unit)?.actions,
    runUnitAction: (action, unit) => runUnitAction(action, unit),
    refreshResources: () => watcher.refreshResources(),
    get sourceKind() {
      return watcher.sourceKind;
    },
    async stop() {
      clearInterval(discovery);
      for (const [timer, report] of pendingEvidence) {
        clearTimeout(timer);
        void report();
      }
      pendingEvidence.clear();
      await Promise.all(reporting.values());
      journal?.stop();
      await watcher.stop();
    },
  };
}
