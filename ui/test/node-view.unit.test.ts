import { describe, expect, it } from 'vitest';
import type { Fleet } from '../src/model/fleet-state.js';
import { fleetView, nodeView } from '../src/model/node-view.js';
import { birth, metrics, status, T0 } from './fixtures.js';

describe('nodeView', () => {
  it('shows an online node with its inventory and metrics', () => {
    const view = nodeView('web-1', { status: status(), birth: birth(), metrics: metrics() }, T0 + 1_000);
    expect(view).toMatchObject({
      state: 'online',
      dimmed: false,
      stale: false,
      lastSeen: null,
      inventory: { hostname: 'web-1.example.lan', os: 'Debian GNU/Linux 12', agentVersion: '0.1.0' },
      load: '0.50 0.25 0.13',
      uptime: '3 d 4 h',
    });
    expect(view.cpu).toEqual({ percent: 12.5, text: '13 %', detail: '' });
    expect(view.ram).toEqual({ percent: 25, text: '25 %', detail: '2.0 / 8.0 GiB' });
    // The first disk is the root filesystem, whatever the others hold.
    expect(view.disk).toEqual({ percent: 40, text: '40 %', detail: '40.0 GiB / 100 GiB on /' });
  });

  it('dims a lost node and dates it from its newest message, not the will', () => {
    const record = {
      status: status({ state: 'lost', ts: T0 }),
      metrics: metrics({ ts: T0 + 60_000 }),
    };
    const view = nodeView('web-1', record, T0 + 60_000 + 5 * 60_000);
    expect(view.state).toBe('lost');
    expect(view.dimmed).toBe(true);
    // Old numbers are expected from a node that is gone; only online nodes are called stale.
    expect(view.stale).toBe(false);
    expect(view.lastSeenAt).toBe(T0 + 60_000);
    expect(view.lastSeen).toBe('5 min ago');
  });

  it('dims an offline node and dates it from its status', () => {
    const view = nodeView('web-1', { status: status({ state: 'offline', ts: T0 }) }, T0 + 2 * 3_600_000);
    expect(view.dimmed).toBe(true);
    expect(view.lastSeen).toBe('2 h ago');
  });

  it('marks metrics stale after three missed intervals of the birth', () => {
    const record = { status: status(), birth: birth({ interval: 10 }), metrics: metrics({ ts: T0 }) };
    expect(nodeView('web-1', record, T0 + 30_000).stale).toBe(false);
    const late = nodeView('web-1', record, T0 + 31_000);
    expect(late.stale).toBe(true);
    expect(late.dimmed).toBe(false);
    expect(late.lastSeen).toBe('31 s ago');
  });

  it('is unknown and shows placeholders when only metrics are known', () => {
    const view = nodeView('web-1', { metrics: metrics({ disks: [] }) }, T0);
    expect(view.state).toBe('unknown');
    expect(view.dimmed).toBe(true);
    expect(view.inventory).toBeNull();
    expect(view.disk).toEqual({ percent: null, text: '—', detail: '' });
    expect(view.cpu.text).toBe('13 %');
  });
});

describe('fleetView', () => {
  it('lists nodes sorted by id', () => {
    const fleet: Fleet = new Map([
      ['web-2', { status: status({ node: 'web-2' }) }],
      ['db-1', { status: status({ node: 'db-1' }) }],
      ['web-10', { status: status({ node: 'web-10' }) }],
    ]);
    expect(fleetView(fleet, T0).map((n) => n.id)).toEqual(['db-1', 'web-10', 'web-2']);
  });
});
