/**
 * Fuzzing the agent's command path (issue 9): 25k hostile payloads on its `cmd` topic, mutated
 * from valid commands (simulator/src/hostile.ts). The handler never throws, answers every payload
 * with a result and an event that pass the contract, refuses whatever is invalid, and acts only on
 * what the allow-list grants. The systemd and supervisor side is replaced by a recorder here: the
 * property is about what reaches it, and no real unit or process could take 100k actions.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { codecs } from '@sitrep/schemas';
import { hostilePayloads } from '@sitrep/simulator/hostile';
import { handleCommand, type CommandContext, type ServiceAction } from '../src/commands/handle.js';

// 25k here (each deeply nested payload costs the handler ~10 ms to parse twice); the projector's
// fuzz test sends 100k of the same generator. SITREP_FUZZ_RUNS overrides both.
const RUNS = Number(process.env['SITREP_FUZZ_RUNS'] ?? 25_000);
const ALLOWED: Record<string, readonly ServiceAction[]> = { 'svc-01.service': ['restart'], 'svc-02.service': [] };

describe('agent command handling under hostile input', () => {
  it(`answers each of ${RUNS} hostile commands and acts only within the allow-list`, async () => {
    const acted: { action: string; target: string }[] = [];
    const ctx: CommandContext = {
      node: 'fuzz-node',
      now: () => 1_750_000_000_000,
      rebirth: async () => undefined,
      replay: () => ({ ok: true, message: 'replayed' }),
      allowedActions: (target) => ALLOWED[target],
      runAction: async (action, target) => {
        acted.push({ action, target });
        return { ok: true, message: 'done' };
      },
      runCheck: async (id) => (id === 'check-1' ? { outcome: 'ok', message: 'ran' } : { outcome: 'refused', message: 'not allowed' }),
    };
    const outcomes: Record<string, number> = {};
    await fc.assert(
      fc.asyncProperty(hostilePayloads('cmd'), async ({ payload }) => {
        const before = acted.length;
        const a = await handleCommand(ctx, payload);
        outcomes[a.result.outcome] = (outcomes[a.result.outcome] ?? 0) + 1;
        expect(codecs.commandResult.problem(a.result)).toBeNull();
        const event = { v: 1, node: 'fuzz-node', session: 's', seq: 1, ts: 1, type: 'CommandCompleted', data: a.event };
        expect(codecs.event.problem(event)).toBeNull();
        const valid = codecs.command.decode(payload);
        if (!valid.ok) expect(a.result.outcome).toBe('refused');
        if (acted.length > before) {
          // Something ran: only a valid, unexpired command whose action the config allows on its target.
          expect(valid.ok).toBe(true);
          const last = acted[acted.length - 1]!;
          expect(ALLOWED[last.target] ?? []).toContain(last.action);
        }
      }),
      { numRuns: RUNS, seed: 20261123, endOnFailure: true },
    );
    expect(outcomes['refused'] ?? 0).toBeGreaterThan(RUNS / 4);
    expect(acted.length).toBeGreaterThan(0);
  }, 600_000);
});
