/**
 * `POST /session`: tells the dashboard which role its credentials carry, so it can hide actions a
 * viewer may not take. The answer comes from the same identity store and password check the broker
 * uses for CONNECT; the broker's ACL stays the gate, this only spares the user buttons that would
 * be refused. Body `{ "username", "password" }`, at most 4 KiB; answers `{ username, role }`,
 * or 401 with a reason.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '@sitrep/schemas';
import type { IdentityStore } from '../auth/identities.js';

export const SESSION_PATH = '/session';
const MAX_BODY_BYTES = 4096;

function reply(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(body));
}

function readBody(req: IncomingMessage): Promise<string | null> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.byteLength;
      if (size > MAX_BODY_BYTES) {
        resolve(null);
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', () => resolve(null));
  });
}

function credentials(text: string): { username: string; password: string } | null {
  try {
    const raw = JSON.parse(text) as { username?: unknown; password?: unknown };
    if (typeof raw.username !== 'string' || typeof raw.password !== 'string') return null;
    return { username: raw.username, password: raw.password };
  } catch {
    return null;
  }
}

export async function handleSession(identities: IdentityStore, log: Logger, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== 'POST') return reply(res, 405, { error: 'use POST' });
  const body = await readBody(req);
  if (body === null) return reply(res, 413, { error: `body over ${MAX_BODY_BYTES} bytes` });
  const creds = credentials(body);
  if (creds === null) return reply(res, 400, { error: 'expected a JSON object with username and password strings' });
  try {
    const identity = await identities.verify(creds.username, creds.password);
    if (identity === null) return reply(res, 401, { error: 'bad username or password' });
    reply(res, 200, { username: identity.username, role: identity.role });
  } catch (err) {
    log.error('session check failed', { username: creds.username, error: (err as Error).message });
    reply(res, 500, { error: 'session check failed' });
  }
}
