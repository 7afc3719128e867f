/**
 * Command handling (DESIGN.md section 5). Every command, accepted or refused, gets a result. This
 * first version knows `rebirth`; service and check actions arrive with the systemd and checks work
 * and go through the same path: validate, check expiry, check the allow-list, act, answer.
 */
import { codecs, type Command, type CommandCompleted, type CommandResult } from '@sitrep/schemas';

export interface CommandContext {
  node: string;
  now: () => number;
  rebirth: () => Promise<void>;
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
      // Not JSON: nothing to echo.
    }
    return answer(ctx, partial, 'refused', `invalid command: ${decoded.reason}`, started);
  }
  const cmd = decoded.value;
  if (cmd.expiresAt !== undefined && cmd.expiresAt < started) {
    return answer(ctx, cmd, 'expired', `command expired ${started - cmd.expiresAt} ms before it arrived`, started);
  }
  if (cmd.action === 'rebirth') {
    try {
      await ctx.rebirth();
      return answer(ctx, cmd, 'ok', 'birth and state republished', started);
    } catch (err) {
      return answer(ctx, cmd, 'failed', `rebirth failed: ${(err as Error).message}`, started);
    }
  }
  return answer(ctx, cmd, 'refused', `action ${cmd.action} on ${JSON.stringify(cmd.target)} is not allowed by this agent's config`, started);
}
