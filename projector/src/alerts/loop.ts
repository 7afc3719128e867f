/**
 * The live alerting loop: every few seconds decide which alerts open or close, record each as an
 * AlertOpened / AlertClosed event (the log keeps them; the alerts read model folds them), hand
 * them to the notifier, and republish the retained `hub/alerts` and `hub/summary` when changed.
 */
import type { Alert, Alerts, Logger, Summary } from '@sitrep/schemas';
import type { Folder } from '../fold/folder.js';
import { openAlerts } from '../projections/alerts.js';
import { listNodeStates } from '../projections/nodes.js';
import { appendDerivedEvent } from '../projections/event-log.js';
import type { Db } from '../projections/projection.js';
import { evaluateAlerts, type AlertPolicy } from './evaluate.js';
import { fleetSummary } from './summary.js';

export interface AlertSink {
  alertOpened(alert: Alert): void;
  alertClosed(alert: Alert, closedAt: number): void;
}

export interface AlertingOptions {
  db: Db;
  folder: Folder;
  policy: AlertPolicy;
  log: Logger;
  now: () => number;
  every: number;
  notifier?: AlertSink | undefined;
  publish(alerts: Alerts, summary: Summary): void;
}

export interface Alerting {
  tick(): void;
  stop(): void;
}

export function startAlerting(o: AlertingOptions): Alerting {
  let lastPublished = '';
  const tick = () => {
    const now = o.now();
    // One read of the nodes' states serves the evaluation and the summary (alerts change no node).
    const nodes = listNodeStates(o.db);
    const changes = evaluateAlerts(o.db, now, o.policy, nodes);
    o.db.transaction(() => {
      for (const a of changes.open) {
        const e = appendDerivedEvent(o.db, { node: a.node, ts: now, type: 'AlertOpened', data: { ...a } }, `AlertOpened:${a.id}:${now}`);
        if (e === null) continue;
        o.folder.fold(e, now);
        o.log.warn('alert opened', { id: a.id, message: a.message });
        o.notifier?.alertOpened(a);
      }
      for (const { alert, reason } of changes.close) {
        const data = { alertId: alert.id, closedAt: now, reason };
        const e = appendDerivedEvent(o.db, { node: alert.node, ts: now, type: 'AlertClosed', data }, `AlertClosed:${alert.id}:${alert.openedAt}`);
        if (e === null) continue;
        o.folder.fold(e, now);
        o.log.info('alert closed', { id: alert.id, reason });
        o.notifier?.alertClosed(alert, now);
      }
    })();
    const alerts: Alerts = { v: 1, ts: now, alerts: openAlerts(o.db) };
    const summary = fleetSummary(o.db, now, o.policy.staleIntervals, o.policy.expect, nodes);
    // Publish on change only; timestamps aside, the same content is not news.
    const key = JSON.stringify([alerts.alerts, { ...summary, ts: 0 }]);
    if (key !== lastPublished) {
      lastPublished = key;
      o.publish(alerts, summary);
    }
  };
  const timer = setInterval(() => {
    try {
      tick();
    } catch (err) {
      o.log.error('alert evaluation failed', { error: (err as Error).message });
    }
  }, o.every);
  timer.unref();
  return { tick, stop: () => clearInterval(timer) };
}
