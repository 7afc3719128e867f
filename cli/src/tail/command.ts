/**
 * `sitrep tail`: follow the live event stream (`nodes/+/events`), one line per event, optionally
 * narrowed to one node and some event types. Events are not retained: tail shows what happens
 * from now on; history is `sitrep mcp`'s or the dashboard's job.
 */
import { AGENT_EVENT_TYPES, assertId, codecs, createTopics, InvalidIdError } from '@sitrep/schemas';
import { parse } from '../args.js';
import { CliError } from '../errors.js';
import { connectRemote, subscribeOrFail } from '../remote/connect.js';
import { REMOTE_HELP, REMOTE_OPTIONS, remoteTarget } from '../remote/options.js';
import { formatEvent } from './format.js';

export const TAIL_HELP = `sitrep tail: follow the live event stream, one line per event

Usage: sitrep tail [options]

  --node ID              only this node's events
  --type T1,T2           only these event types (${AGENT_EVENT_TYPES.join(', ')})
  --json                 print each event envelope as one JSON line
  --count N              exit after N events
${REMOTE_HELP}
`;

function types(value: string | undefined): Set<string> | null {
  if (value === undefined) return null;
  const list = value.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const unknown = list.filter((x) => !(AGENT_EVENT_TYPES as readonly string[]).includes(x));
  if (unknown.length > 0) throw new CliError(`tail: unknown event type ${unknown.map((u) => JSON.stringify(u)).join(', ')}; known: ${AGENT_EVENT_TYPES.join(', ')}`);
  return new Set(list);
}

function count(value: string | undefined): number {
  if (value === undefined) return Infinity;
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new CliError(`tail: --count must be a positive integer, got ${JSON.stringify(value)}`);
  return Number(value);
}

export async function tailCommand(argv: string[]): Promise<void> {
  const v = parse('tail', argv, {
    ...REMOTE_OPTIONS,
    node: { type: 'string' },
    type: { type: 'string' },
    json: { type: 'boolean' },
    count: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (v.help) return void process.stdout.write(TAIL_HELP);
  if (v.node !== undefined) {
    try {
      assertId('node', v.node);
    } catch (err) {
      if (err instanceof InvalidIdError) throw new CliError(`tail: --node ${err.message}`);
      throw err;
    }
  }
  const only = types(v.type);
  const max = count(v.count);
  const target = await remoteTarget('tail', v);
  const t = createTopics(target.prefix);
  const { client } = await connectRemote(target, 'tail');
  let seen = 0;
  let ending = false;
  await new Promise<void>((resolve, reject) => {
    const stop = () => {
      if (ending) return;
      ending = true;
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      client.end(false, {}, () => resolve());
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    client.on('message', (topic, payload) => {
      const decoded = codecs.event.decode(payload);
      if (!decoded.ok) {
        process.stderr.write(`sitrep tail: invalid event on ${topic}: ${decoded.reason}\n`);
        return;
      }
      const e = decoded.value;
      if (only !== null && !only.has(e.type)) return;
      process.stdout.write(`${v.json ? JSON.stringify(e) : formatEvent(e)}\n`);
      if (++seen >= max) stop();
    });
    client.on('close', () => {
      if (!ending) reject(new CliError(`tail: the connection to ${target.url} was lost`, 1));
    });
    subscribeOrFail(client, [t.filter.events(v.node)], target.username).then(() => {
      // Tests and scripts wait for this line (on stderr, so stdout stays one event per line).
      process.stderr.write(`following ${v.node === undefined ? 'every node' : `node ${v.node}`}${only === null ? '' : ` (${[...only].join(', ')})`}; Ctrl-C to stop\n`);
    }, reject);
  });
}
