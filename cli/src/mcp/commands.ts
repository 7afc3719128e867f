/**
 * Commands from the MCP server: only for operator identities. Whether this identity is one is
 * found out once, on a separate short-lived connection, by publishing an empty message on the
 * command topic of a node that cannot exist: the embedded broker refuses a non-operator by closing
 * that connection, an operator's publish is acknowledged. The command itself then goes out on the
 * main connection and its result is awaited on `cmd/result`; the agent's allow-list decides.
 */
import { randomBytes } from 'node:crypto';
import type { MqttClient } from 'mqtt';
import { codecs, type CommandResult, type Topics } from '@sitrep/schemas';
import { connectRemote } from '../remote/connect.js';
import type { RemoteTarget } from '../remote/options.js';

export class NotOperatorError extends Error {
  readonly code = 'NOT_OPERATOR';
  constructor(username: string) {
    super(`refused: ${username} is not an operator identity; start, stop, restart and run need operator credentials`);
    this.name = 'NotOperatorError';
  }
}

export async function isOperator(target: RemoteTarget, t: Topics): Promise<boolean> {
  const { client } = await connectRemote(target, 'mcp-probe');
  try {
    const node = `mcp-probe-${randomBytes(4).toString('hex')}`;
    return await new Promise<boolean>((resolve) => {
      client.once('close', () => resolve(false));
      client.publish(t.cmd(node), '', { qos: 1 }, (err) => resolve(err === undefined || err === null));
    });
  } finally {
    client.end(true);
  }
}

export function sendCommand(client: MqttClient, t: Topics, node: string, action: string, target: string, by: string, timeoutMs = 30_000): Promise<CommandResult> {
  const id = `mcp-${randomBytes(6).toString('hex')}`;
  const resultTopic = t.cmdResult(node);
  return new Promise((resolve, reject) => {
    const onMessage = (topic: string, payload: Buffer) => {
      if (topic !== resultTopic) return;
      const d = codecs.commandResult.decode(payload);
      if (!d.ok || d.value.id !== id) return;
      done();
      resolve(d.value);
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`no result from node ${node} within ${timeoutMs / 1000} s (is its agent online?)`));
    }, timeoutMs);
    const done = () => {
      clearTimeout(timer);
      client.off('message', onMessage);
      client.unsubscribe(resultTopic);
    };
    client.on('message', onMessage);
    client.subscribe(resultTopic, { qos: 1 }, (err) => {
      if (err) {
        done();
        return reject(err);
      }
      const cmd = { id, action, target, by, expiresAt: Date.now() + timeoutMs };
      if (codecs.command.problem(cmd) !== null) {
        done();
        return reject(new Error(codecs.command.problem(cmd) ?? 'invalid command'));
      }
      client.publish(t.cmd(node), JSON.stringify(cmd), { qos: 1 }, (e) => {
        if (e) {
          done();
          reject(e);
        }
      });
    });
  });
}
