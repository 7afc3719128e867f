/**
 * Asks the hub which role a login carries (`POST /session`, answered from the broker's identity
 * store with the same password check as CONNECT). The answer is validated like any payload.
 */
import { Type } from '@sinclair/typebox';
import { createCodec } from '@sitrep/schemas';
import type { Credentials } from '../mqtt/client-options.js';
import type { Role } from '../model/roles.js';

export const SESSION_URL = '/session';

export const SessionInfo = Type.Object({
  username: Type.String({ maxLength: 128 }),
  role: Type.Union([Type.Literal('agent'), Type.Literal('viewer'), Type.Literal('operator'), Type.Literal('service'), Type.Literal('integration')]),
});
export const sessionInfoCodec = createCodec('SessionInfo', SessionInfo);

export type WhoAmI =
  | { ok: true; username: string; role: Role }
  /** `refused`: the hub says the credentials are wrong; otherwise it could not be asked. */
  | { ok: false; refused: boolean; reason: string };

export async function whoAmI(creds: Credentials, fetchFn: typeof fetch = fetch): Promise<WhoAmI> {
  let res: Response;
  try {
    res = await fetchFn(SESSION_URL, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(creds),
      cache: 'no-store',
    });
  } catch (err) {
    return { ok: false, refused: false, reason: `cannot reach the hub: ${err instanceof Error ? err.message : String(err)}` };
  }
  if (res.status === 401) return { ok: false, refused: true, reason: 'Wrong username or password.' };
  if (!res.ok) return { ok: false, refused: false, reason: `${SESSION_URL} answered HTTP ${res.status}` };
  const decoded = sessionInfoCodec.decode(new Uint8Array(await res.arrayBuffer()));
  if (!decoded.ok) return { ok: false, refused: false, reason: `${SESSION_URL}: ${decoded.reason}` };
  return { ok: true, username: decoded.value.username, role: decoded.value.role };
}
