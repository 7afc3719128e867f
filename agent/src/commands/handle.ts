/**
 * Command handling (DESIGN.md section 5): validate, refuse expired commands, check the agent's own
 * allow-list, act, answer. Every command, accepted or refused, gets a result and an event.
 */
import { codecs, type Command, type CommandCompleted, type CommandResult } from '@sitrep/schemas';

/** Actions on a service: systemd units take the first three, supervised processes all four. */
export type ServiceAction = 'start' | 'stop' | 'restart' | 'kill';

export interface CommandContext {
  node: string;
  now: () => number;
  rebirth: () => Promise<void>;
  replay: (fromSeq: number) => { ok: boolean; message: string };
  /** Actions the config allows on a service; undefined when the agent does not watch it. */
  allowedActions: (target: string) => readonly ServiceAction[] | undefined;
  runAction: (action: ServiceAction, target: string) => Promise<{ ok: boolean; message: string }>;
  /** False when commands arrive faster than the agent accepts them. */
  allowNow?: () => boolean;
  /** Run a check now, if the config allows it. */
  runCheck: (id: string) => Promise<{ outcome: 'ok' | 'refused' | 'failed'; message: string }>;
}

type Outcome = CommandResult['outcome'];

export interface CommandAnswer {
  result: CommandResult;
  event: CommandCompleted['data'];
}

function answer(ctx: CommandContext, cmd: Partial<Command>, outcome: Outcome, message: string, started: number): CommandAnswer {
  const durationMs = ctx.now() - started;
  const id = typeof cmd.id === 'string' ? cmd.id.slice(0, 64) : '';
  const action = typeof cmd.action === 'string' ? cmd.action.slice(0, 32) : '';
  const target = typeof cmd.target === 'string' ? cmd.target.slice(0, 255) : '';
  const by = typeof cmd.by === 'string' ? cmd.by.slice(0, 128) : undefined;
  return {
    result: { v: 1, node: ctx.node, id, action, target, outcome, message, ts: ctx.now(), durationMs },
    event: { id: id === '' ? '-' : id, action, target, ...(by === undefined ? {} : { by }), outcome, message, durationMs },
  };
}

function isServiceAction(action: string): action is ServiceAction {
  return action === 'start' || action === 'stop' || action === 'restart' || action === 'kill';
}

export async function handleCommand(ctx: CommandContext, payload: Buffer): Promise<CommandAnswer> {
  const started = ctx.now();
  const decoded = codecs.command.decode(payload);
  if (!decoded.ok) {
    // Answer even an unparsable command, echoing what can be read, so the sender is not left waiting.
    let partial: Partial<Command> = {};
    try {
      const raw: unknown = JSON.parse(payload.toString('utf8'));
      if (typeof raw === 'object' && raw !== null) partial = raw as Partial<Command>;
    } catch {
      partial = {}; // Not JSON: nothing to echo.
    }
    return answer(ctx, partial, 'refused', `invalid command: ${decoded.reason}`, started);
  }
  const cmd = decoded.value;
  const done = (outcome: Outcome, message: string) => answer(ctx, cmd, outcome, message, started);
  if (ctx.allowNow !== undefined && !ctx.allowNow()) return done('refused', 'too many commands: rate limited, try again in a few seconds');
  if (cmd.expiresAt !== undefined && cmd.expiresAt < started) {
    return done('expired', `command expired ${started - cmd.expiresAt} ms before it arrived`);
  }
  switch (cmd.action) {
    case 'rebirth':
      try {
        await ctx.rebirth();
        return done('ok', 'birth and state republished');
      } catch (err) {
        return done('failed', `rebirth failed: ${(err as Error).message}`);
      }
    case 'replay': {
      const from = cmd.args?.['fromSeq'];
      if (typeof from !== 'number' || !Number.isInteger(from) || from < 1) return done('refused', 'replay needs args.fromSeq, an integer >= 1');
      const r = ctx.replay(from);
      return done(r.ok ? 'ok' : 'failed', r.message);
    }
    case 'run':
      try {
        const r = await ctx.runCheck(cmd.target);
        return done(r.outcome, r.message);
      } catch (err) {
        return done('failed', `run ${cmd.target} failed: ${(err as Error).message}`);
      }
    default: {
      if (!isServiceAction(cmd.action)) return done('refused', `action ${cmd.action} is not supported by this agent`);
      const allowed = ctx.allowedActions(cmd.target);
      if (allowed === undefined) return done('refused', `${JSON.stringify(cmd.target)} is not a service this agent watches`);
      if (!allowed.includes(cmd.action)) {
        return done('refused', `action ${cmd.action} on ${cmd.target} is not allowed by this agent's config (allowed: ${allowed.join(', ') || 'none'})`);
      }
      const r = await ctx.runAction(cmd.action, cmd.target);
      return done(r.ok ? 'ok' : 'failed', r.message);
    }
  }
}
