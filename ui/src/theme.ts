/** Light, dark, or the system's choice; kept in localStorage, applied as `data-theme` on <html>. */
export type Theme = 'system' | 'light' | 'dark';
const KEY = 'sitrep.theme';

export function loadTheme(storage: Pick<Storage, 'getItem'>): Theme {
  const t = storage.getItem(KEY);
  return t === 'light' || t === 'dark' ? t : 'system';
}

export function saveTheme(storage: Pick<Storage, 'setItem'>, theme: Theme): void {
  storage.setItem(KEY, theme);
}

export function applyTheme(theme: Theme): void {
  if (theme === 'system') delete document.documentElement.dataset['theme'];
  else document.documentElement.dataset['theme'] = theme;
}

export const nextTheme = (t: Theme): Theme => (t === 'system' ? 'dark' : t === 'dark' ? 'light' : 'system');
