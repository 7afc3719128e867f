/**
 * Commands from the ui: publish on `nodes/{node}/cmd`, follow each one from pending to the
 * agent's answer on `cmd/result` (matched by id), or to a timeout when no answer comes.
 */
import { getCurrentScope, onScopeDispose, shallowRef, type ShallowRef } from 'vue';
import { codecs, type ActionName, type Command } from '@sitrep/schemas';
import type { MqttSession } from './useMqtt.js';

export type CommandState = 'pending' | 'ok' | 'failed' | 'refused' | 'expired' | 'timeout' | 'error';

export interface CommandView {
  readonly id: string;
  readonly node: string;
  readonly action: ActionName;
  readonly target: string;
  readonly sentAt: number;
  readonly state: CommandState;
  readonly message: string;
}

export interface CommandsStore {
  /** Commands sent from this tab, by id. */
  readonly sent: Readonly<ShallowRef<ReadonlyMap<string, CommandView>>>;
  send(node: string, action: ActionName, target: string): Promise<CommandView>;
}

/** Commands not run within this are refused by the agent rather than run late. */
export const COMMAND_TTL_MS = 60_000;
/** No answer by then: shown as a timeout (the agent may be away). */
export const ANSWER_TIMEOUT_MS = 30_000;

const newId = (): string => `ui-${Date.now().toString(36)}-${Array.from(crypto.getRandomValues(new Uint8Array(4)), (b) => b.toString(16).padStart(2, '0')).join('')}`;

export function useCommands(session: MqttSession, now: () => number = Date.now): CommandsStore {
  const sent = shallowRef<ReadonlyMap<string, CommandView>>(new Map());
  const timers = new Map<string, ReturnType<typeof setTimeout>>();

  function update(id: string, state: CommandState, message: string): void {
    const before = sent.value.get(id);
    if (before === undefined || before.state !== 'pending') return;
    const next = new Map(sent.value);
    next.set(id, { ...before, state, message });
    sent.value = next;
    clearTimeout(timers.get(id));
    timers.delete(id);
  }

  const remove = session.addFeed({
    kinds: ['cmdResult'],
    filters: [session.topics.filter.cmdResult()],
    // Gated with the retained feeds (see useEvents): no command can be sent before the page shows
    // the fleet, and the gate opens as it is painted.
    gated: true,
    reset() {},
    receive(topic, payload) {
      if (topic.kind !== 'cmdResult') return `the commands feed does not handle ${topic.kind} topics`;
      const d = codecs.commandResult.decode(payload);
      if (!d.ok) return d.reason;
      if (d.value.node !== topic.node) return `payload names node ${JSON.stringify(d.value.node)}, topic names ${topic.node}`;
      // Results of commands sent by others are valid too; only ours are followed here.
      update(d.value.id, d.value.outcome, d.value.message);
      return null;
    },
  });

  async function send(node: string, action: ActionName, target: string): Promise<CommandView> {
    const cmd: Command = { id: newId(), action, target, expiresAt: now() + COMMAND_TTL_MS };
    if (session.user.value !== null) cmd.by = session.user.value;
    const view: CommandView = { id: cmd.id, node, action, target, sentAt: now(), state: 'pending', message: 'sent, waiting for the agent' };
    const next = new Map(sent.value);
    next.set(cmd.id, view);
    sent.value = next;
    const problem = codecs.command.problem(cmd);
    if (problem !== null) {
      update(cmd.id, 'error', problem);
      return sent.value.get(cmd.id) ?? view;
    }
    timers.set(cmd.id, setTimeout(() => update(cmd.id, 'timeout', `no answer from ${node} within ${ANSWER_TIMEOUT_MS / 1000} s`), ANSWER_TIMEOUT_MS));
    try {
      await session.publish(session.topics.cmd(node), codecs.command.encode(cmd));
    } catch (err) {
      update(cmd.id, 'error', err instanceof Error ? err.message : String(err));
    }
    return sent.value.get(cmd.id) ?? view;
  }

  if (getCurrentScope() !== undefined) {
    onScopeDispose(() => {
      remove();
      for (const t of timers.values()) clearTimeout(t);
    });
  }
  return { sent, send };
}

/** The newest command this tab sent for a target on a node, for the button's pending/result line. */
export function latestCommand(sent: ReadonlyMap<string, CommandView>, node: string, target: string): CommandView | undefined {
  let latest: CommandView | undefined;
  for (const c of sent.values()) if (c.node === node && c.target === target && (latest === undefined || c.sentAt >= latest.sentAt)) latest = c;
  return latest;
}
