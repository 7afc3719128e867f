/**
 * Login on top of the MQTT session: asks the hub for the role first (a wrong password is told
 * before any socket opens), keeps the login in sessionStorage for reloads, and restores it.
 */
import { shallowRef, watch, type ShallowRef } from 'vue';
import type { Credentials } from '../mqtt/client-options.js';
import type { Role } from '../model/roles.js';
import { clearLogin, loadLogin, saveLogin, type LoginStorage } from '../session/stored-login.js';
import { whoAmI } from '../session/whoami.js';
import type { MqttSession } from './useMqtt.js';

export interface Auth {
  /** The role the hub reported, or null (unknown: treated as a viewer). */
  readonly role: Readonly<ShallowRef<Role | null>>;
  /** Why the last login was refused before connecting, or null. */
  readonly refusal: Readonly<ShallowRef<string | null>>;
  readonly checking: Readonly<ShallowRef<boolean>>;
  login(creds: Credentials): Promise<void>;
  /** Log in again with the login saved in this tab, if any; returns whether there was one. */
  restore(): boolean;
  logout(): void;
}

export function useAuth(session: MqttSession, storage: LoginStorage, ask: typeof whoAmI = whoAmI): Auth {
  const role = shallowRef<Role | null>(null);
  const refusal = shallowRef<string | null>(null);
  const checking = shallowRef(false);

  async function resolveRole(creds: Credentials): Promise<boolean> {
    const answer = await ask(creds);
    if (answer.ok) {
      role.value = answer.role;
      return true;
    }
    if (answer.refused) {
      refusal.value = answer.reason;
      clearLogin(storage);
      session.logout();
      return false;
    }
    // The hub could not be asked (it may be restarting): connect anyway, without actions.
    console.warn(`sitrep: role unknown, actions hidden: ${answer.reason}`);
    role.value = null;
    return true;
  }

  async function login(creds: Credentials): Promise<void> {
    refusal.value = null;
    checking.value = true;
    try {
      if (!(await resolveRole(creds))) return;
    } finally {
      checking.value = false;
    }
    saveLogin(storage, creds);
    session.login(creds);
  }

  function restore(): boolean {
    const creds = loadLogin(storage);
    if (creds === null) return false;
    session.login(creds);
    void resolveRole(creds);
    return true;
  }

  // Credentials the broker refuses (password changed, user removed) must not come back on reload.
  watch(session.state, (state) => {
    if (state !== 'refused') return;
    clearLogin(storage);
    role.value = null;
  });

  function logout(): void {
    clearLogin(storage);
    role.value = null;
    session.logout();
  }

  return { role, refusal, checking, login, restore, logout };
}
