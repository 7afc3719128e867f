/**
 * The login kept in sessionStorage so a reload of this tab stays signed in. sessionStorage lives
 * as long as the tab, is never sent to a server and is not shared with other tabs; MQTT over
 * WebSocket has no token to keep instead, so the password is what the reconnect needs.
 */
import type { Credentials } from '../mqtt/client-options.js';
import { LOGIN_KEY } from '../boot/early-start.js';

// Defined with the early start, which opens the socket when a login is saved.
export { LOGIN_KEY };

export type LoginStorage = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;

export function saveLogin(storage: LoginStorage, creds: Credentials): void {
  storage.setItem(LOGIN_KEY, JSON.stringify({ username: creds.username, password: creds.password }));
}

/** The saved login, or null when there is none or it is unreadable (then it is removed). */
export function loadLogin(storage: LoginStorage): Credentials | null {
  const text = storage.getItem(LOGIN_KEY);
  if (text === null) return null;
  try {
    const raw = JSON.parse(text) as { username?: unknown; password?: unknown };
    if (typeof raw.username === 'string' && raw.username !== '' && typeof raw.password === 'string') {
      return { username: raw.username, password: raw.password };
    }
  } catch {
    // falls through: a broken entry is dropped
  }
  storage.removeItem(LOGIN_KEY);
  return null;
}

export function clearLogin(storage: LoginStorage): void {
  storage.removeItem(LOGIN_KEY);
}
