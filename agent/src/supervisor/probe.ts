/**
 * Health probes are injected: the agent passes its real prober (checks/probes.ts). The default
 * here knows http and tcp only, enough to supervise without the rest of the agent.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import type { ProbeSpec } from '@sitrep/schemas/config';

export interface ProbeResult {
  ok: boolean;
  message: string;
}

/** Must settle within about `timeoutMs`; the supervisor counts a later answer (or a throw) as a failure. */
export type Probe = (spec: ProbeSpec, timeoutMs: number) => Promise<ProbeResult>;

/** Read at most this much of a body when looking for `bodyContains`. */
const MAX_BODY_BYTES = 64 * 1024;

export const defaultProbe: Probe = (spec, timeoutMs) => {
  switch (spec.type) {
    case 'tcp':
      return probeTcp(spec.host, spec.port, timeoutMs);
    case 'http':
      return probeHttp(spec.url, spec.expectStatus, spec.bodyContains, timeoutMs);
    case 'command':
      return Promise.resolve({ ok: false, message: 'command probes need the agent prober; the default one knows http and tcp' });
  }
};

function probeTcp(host: string, port: number, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: timeoutMs });
    const finish = (r: ProbeResult) => {
      socket.destroy();
      resolve(r);
    };
    socket.once('connect', () => finish({ ok: true, message: `connected to ${host}:${port}` }));
    socket.once('timeout', () => finish({ ok: false, message: `no connection to ${host}:${port} within ${timeoutMs} ms` }));
    socket.once('error', (err) => finish({ ok: false, message: `${host}:${port}: ${err.message}` }));
  });
}

function probeHttp(url: string, expectStatus: number, bodyContains: string | undefined, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const request = url.startsWith('https:') ? httpsRequest : httpRequest;
    let settled = false;
    const finish = (r: ProbeResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      resolve(r);
    };
    const timer = setTimeout(() => finish({ ok: false, message: `no answer from ${url} within ${timeoutMs} ms` }), timeoutMs);
    // agent: false: a fresh connection each time, as a client arriving from outside would make.
    const req = request(url, { method: 'GET', agent: false, headers: { 'user-agent': 'sitrep-agent' } }, (res) => {
      const status = res.statusCode ?? 0;
      if (status !== expectStatus) return finish({ ok: false, message: `${url} answered ${status}, expected ${expectStatus}` });
      if (bodyContains === undefined) return finish({ ok: true, message: `${url} answered ${status}` });
      const chunks: Buffer[] = [];
      let size = 0;
      const check = () => {
        const found = Buffer.concat(chunks).toString('utf8').includes(bodyContains);
        finish({ ok: found, message: found ? `${url} answered ${status} with the expected text` : `${url} answered ${status} without the expected text` });
      };
      res.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        size += chunk.length;
        if (size >= MAX_BODY_BYTES) check();
      });
      res.on('end', check);
      res.on('error', (err) => finish({ ok: false, message: `${url}: ${err.message}` }));
    });
    req.on('error', (err) => finish({ ok: false, message: `${url}: ${err.message}` }));
    req.end();
  });
}
