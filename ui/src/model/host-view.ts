/**
 * The host page's lists: every service and check of one node with expected vs actual, from the
 * birth (what is watched, what is expected, which actions the agent accepts) and the live state.
 */
import type { ActionName, CheckResult, ServiceState } from '@sitrep/schemas';
import { nodeStateOf, watchedOf, type NodeRecord } from './fleet-state.js';
import { checkLight, isDrift, serviceLight, type Light } from './service-light.js';

export interface HostServiceRow {
  readonly id: string;
  readonly kind: string;
  readonly expect: string;
  readonly actual: string;
  readonly light: Light;
  readonly drift: boolean;
  readonly stale: boolean;
  readonly state: ServiceState | undefined;
  readonly actions: readonly ActionName[];
}

export function hostServices(record: NodeRecord | undefined, states: ReadonlyMap<string, ServiceState> | undefined): HostServiceRow[] {
  const node = nodeStateOf(record);
  const watched = new Map(watchedOf(record).map((s) => [s.id, s]));
  const ids = [...new Set([...watched.keys(), ...(states?.keys() ?? [])])].sort();
  return ids.map((id) => {
    const s = states?.get(id);
    const w = watched.get(id);
    const actual = s === undefined ? 'no state yet' : !s.exists ? 'not found' : `${s.state}${s.subState !== undefined ? ` (${s.subState})` : ''}${s.health === 'unhealthy' ? ', unhealthy' : ''}`;
    return {
      id,
      kind: s?.kind ?? w?.kind ?? '?',
      expect: s?.expect ?? w?.expect ?? '?',
      actual,
      light: serviceLight(s, w !== undefined, node),
      drift: s !== undefined && isDrift(s),
      stale: s !== undefined && node !== 'online',
      state: s,
      actions: w?.actions ?? [],
    };
  });
}

export interface HostCheckRow {
  readonly id: string;
  readonly name: string;
  readonly schedule: string | null;
  readonly light: Light;
  readonly result: CheckResult | undefined;
  readonly actions: readonly ActionName[];
}

export function hostChecks(record: NodeRecord | undefined, results: ReadonlyMap<string, CheckResult> | undefined): HostCheckRow[] {
  const node = nodeStateOf(record);
  const watched = new Map((record?.birth?.checks ?? []).map((c) => [c.id, c]));
  const ids = [...new Set([...watched.keys(), ...(results?.keys() ?? [])])].sort();
  return ids.map((id) => {
    const w = watched.get(id);
    const r = results?.get(id);
    return { id, name: w?.name ?? id, schedule: w?.schedule ?? null, light: checkLight(r, node), result: r, actions: w?.actions ?? [] };
  });
}
