/**
 * The hub's `GET /metrics` for Prometheus. Authentication: HTTP Basic with a sitrep identity of
 * role viewer, operator or integration (the same identities and scrypt hashes as MQTT; agents and
 * the projector's service identity are refused: least privilege). No anonymous scrape, even on
 * loopback; the hub's HTTP port itself is loopback-only unless `--host` says otherwise. Prometheus:
 * `basic_auth: { username: prometheus, password_file: /etc/prometheus/sitrep.password }`.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { IdentityStore } from '@sitrep/broker';
import type { Logger } from '@sitrep/schemas';
import type { Role } from '@sitrep/schemas/config';

export const METRICS_PATH = '/metrics';
export const METRICS_ROLES: readonly Role[] = ['viewer', 'operator', 'integration'];

export interface MetricsRouteOptions {
  identities: IdentityStore;
  /** The exposition text and its content type, or null while the projector is not up yet. */
  render: () => { body: string; contentType: string } | null;
  log: Logger;
}

/** `Authorization: Basic base64(user:password)`, or null when absent or malformed. */
export function basicCredentials(req: IncomingMessage): { username: string; password: string } | null {
  const header = req.headers.authorization;
  if (header === undefined || header.length > 4096) return null;
  const m = /^Basic ([A-Za-z0-9+/=]+)$/i.exec(header.trim());
  if (m === null) return null;
  const decoded = Buffer.from(m[1] ?? '', 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return null;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

function text(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', ...headers }).end(`${body}\n`);
}

export function metricsRoute(opts: MetricsRouteOptions): RequestListener {
  return async (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return text(res, 405, 'method not allowed', { allow: 'GET, HEAD' });
    const creds = basicCredentials(req);
    const challenge = { 'www-authenticate': 'Basic realm="sitrep metrics", charset="UTF-8"' };
    if (creds === null) return text(res, 401, 'authentication required: HTTP Basic with a viewer identity', challenge);
    let identity;
    try {
      identity = await opts.identities.verify(creds.username, creds.password);
    } catch (err) {
      opts.log.error('metrics: authentication failed', { error: (err as Error).message });
      return text(res, 500, 'authentication failed');
    }
    if (identity === null) {
      opts.log.warn('metrics: bad username or password', { username: creds.username });
      return text(res, 401, 'bad username or password', challenge);
    }
    if (!METRICS_ROLES.includes(identity.role)) return text(res, 403, `role ${identity.role} may not read metrics (${METRICS_ROLES.join(', ')} may)`);
    let page;
    try {
      page = opts.render();
    } catch (err) {
      opts.log.error('metrics: rendering failed', { error: (err as Error).message });
      return text(res, 500, 'metrics could not be read');
    }
    if (page === null) return text(res, 503, 'the projector is starting');
    res.writeHead(200, { 'content-type': page.contentType, 'cache-control': 'no-store' });
    res.end(req.method === 'HEAD' ? undefined : page.body);
  };
}
