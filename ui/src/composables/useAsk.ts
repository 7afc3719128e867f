/**
 * One projector query kept fresh for a view: asked when its arguments change and again after every
 * reconnect; the last good answer stays on screen while a new one is on its way (no layout jump).
 */
import { shallowRef, watch, type ShallowRef } from 'vue';
import { useApp } from '../app-context.js';
import type { Answer, QueryName } from '../queries/results.js';

export interface Asked<T> {
  readonly data: Readonly<ShallowRef<T | null>>;
  readonly error: Readonly<ShallowRef<string | null>>;
  readonly loading: Readonly<ShallowRef<boolean>>;
  refresh(): void;
}

export function useAsk<N extends QueryName>(name: N, args: () => Record<string, unknown> | null): Asked<Answer<N>> {
  const { query, session } = useApp();
  const data = shallowRef<Answer<N> | null>(null);
  const error = shallowRef<string | null>(null);
  const loading = shallowRef(false);
  let asked = 0;

  async function refresh(): Promise<void> {
    const a = args();
    if (a === null || session.state.value !== 'connected') return;
    const mine = ++asked;
    loading.value = true;
    const r = await query.ask(name, a);
    if (mine !== asked) return;
    loading.value = false;
    if (r.ok) {
      data.value = r.data;
      error.value = null;
    } else error.value = r.reason;
  }

  watch([() => JSON.stringify(args()), session.connects], () => void refresh(), { immediate: true });
  return { data, error, loading, refresh: () => void refresh() };
}
