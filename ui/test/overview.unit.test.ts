/** The overview grid: which cells, which colours, what the filters keep, what the counts say. */
import type { ServiceState } from '@sitrep/schemas';
import { describe, expect, it } from 'vitest';
import type { Fleet, NodeRecord } from '../src/model/fleet-state.js';
import { applyItemChanges, type ItemMap } from '../src/model/items-state.js';
import { allTags, cellOf, filterGrid, fleetCounts, NO_FILTER, rowCells } from '../src/model/overview.js';
import { birth, service, status, T0 } from './fixtures.js';

function node(id: string, state: 'online' | 'lost' | 'offline', watched: { id: string; kind?: 'systemd' | 'process' }[], distro = 'Debian GNU/Linux'): NodeRecord {
  return {
    status: status({ node: id, state }),
    birth: birth({
      node: id,
      host: { ...birth().host, hostname: `${id}.lan`, distro },
      services: watched.map((w) => ({ id: w.id, kind: w.kind ?? 'systemd', expect: 'running', actions: ['restart'] })),
    }),
  };
}

const fleet: Fleet = new Map([
  ['web-1', node('web-1', 'online', [{ id: 'nginx.service' }, { id: 'worker', kind: 'process' }])],
  ['web-2', node('web-2', 'lost', [{ id: 'nginx.service' }], 'Ubuntu')],
  ['db-1', node('db-1', 'online', [{ id: 'postgresql.service' }])],
]);
const services: ItemMap<ServiceState> = applyItemChanges(new Map(), [
  { node: 'web-1', id: 'nginx.service', value: service({ node: 'web-1' }) },
  { node: 'web-1', id: 'worker', value: service({ node: 'web-1', service: 'worker', kind: 'process', state: 'failed' }) },
  { node: 'web-2', id: 'nginx.service', value: service({ node: 'web-2' }) },
  { node: 'db-1', id: 'postgresql.service', value: service({ node: 'db-1', service: 'postgresql.service', health: 'unhealthy' }) },
]);

describe('overview grid', () => {
  it('has a column per service and a row per node, sorted, with a light per cell', () => {
    const grid = filterGrid(fleet, services, NO_FILTER);
    expect(grid.columns).toEqual(['nginx.service', 'postgresql.service', 'worker']);
    expect(grid.nodes).toEqual(['db-1', 'web-1', 'web-2']);
    const lights = (n: string) => rowCells(grid.columns, fleet.get(n), services.get(n)).map((c) => c.light);
    expect(lights('web-1')).toEqual(['healthy', 'absent', 'down']);
    expect(lights('db-1')).toEqual(['absent', 'degraded', 'absent']);
    // web-2 is lost: its last state is shown as unknown and marked stale.
    expect(lights('web-2')).toEqual(['unknown', 'absent', 'absent']);
    expect(rowCells(grid.columns, fleet.get('web-2'), services.get('web-2'))[0]?.stale).toBe(true);
  });

  it('says in the tooltip what is behind a colour', () => {
    expect(cellOf('nginx.service', service({ state: 'stopped' }), true, 'online').title).toBe('nginx.service: stopped, expected running');
    expect(cellOf('x', undefined, false, 'online').title).toBe('x: not expected here');
    expect(cellOf('nginx.service', service(), true, 'lost').title).toMatch(/last known; node lost/);
  });

  it('filters by node, tag, status and search', () => {
    expect(filterGrid(fleet, services, { ...NO_FILTER, node: 'db-1' }).nodes).toEqual(['db-1']);
    expect(filterGrid(fleet, services, { ...NO_FILTER, status: 'down' }).nodes).toEqual(['web-1']);
    expect(filterGrid(fleet, services, { ...NO_FILTER, status: 'problems' }).nodes).toEqual(['db-1', 'web-1', 'web-2']);
    expect(filterGrid(fleet, services, { ...NO_FILTER, status: 'degraded' }).nodes).toEqual(['db-1']);
    expect(filterGrid(fleet, services, { ...NO_FILTER, tag: 'os:Ubuntu 12' }).nodes).toEqual(['web-2']);
    const processes = filterGrid(fleet, services, { ...NO_FILTER, tag: 'kind:process' });
    expect(processes).toEqual({ columns: ['worker'], nodes: ['web-1'] });
    // Search text matching services narrows the columns; matching nodes narrows the rows.
    expect(filterGrid(fleet, services, { ...NO_FILTER, search: 'postgres' }).columns).toEqual(['postgresql.service']);
    expect(filterGrid(fleet, services, { ...NO_FILTER, search: 'WEB' }).nodes).toEqual(['web-1', 'web-2']);
    expect(allTags(fleet, services)).toEqual(['kind:process', 'kind:systemd', 'os:Debian GNU/Linux 12', 'os:Ubuntu 12']);
  });

  it('counts nodes from status, unhealthy services from live states and alerts from the hub', () => {
    const counts = fleetCounts(fleet, services, null, { v: 1, ts: T0, alerts: [] });
    expect(counts).toEqual({ online: 2, lost: 1, offline: 0, unhealthy: 2, openAlerts: 0 });
    expect(fleetCounts(fleet, services, null, null).openAlerts).toBeNull();
    const summary = { v: 1 as const, ts: T0, nodes: { total: 3, online: 2, offline: 0, lost: 1, stale: 0 }, services: { total: 4, healthy: 2, unhealthy: 2, unknown: 0 }, alerts: { open: 3 } };
    expect(fleetCounts(fleet, services, summary, null).openAlerts).toBe(3);
  });
});

describe('item batches', () => {
  it('keep untouched nodes identical and never mutate a snapshot', () => {
    const before = services;
    const web1 = before.get('web-1');
    const next = applyItemChanges(before, [{ node: 'db-1', id: 'postgresql.service', value: null }]);
    expect(next.get('web-1')).toBe(web1);
    expect(next.has('db-1')).toBe(false);
    expect(before.get('db-1')?.size).toBe(1);
    expect(applyItemChanges(before, [])).toBe(before);
  });
});
