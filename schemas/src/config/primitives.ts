/** Building blocks shared by every config schema (kept apart so the schemas can import them without cycles). */
import { z } from 'zod';

const DURATION_RE = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?$/;
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** A duration as seconds (number) or a string such as `500ms`, `10s`, `5m`, `1h`; result in ms. */
export const Duration = z.union([z.number(), z.string()]).transform((value, ctx) => {
  if (typeof value === 'number') {
    if (!(value > 0) || !Number.isFinite(value)) {
      ctx.addIssue({ code: 'custom', message: 'must be a positive number of seconds' });
      return z.NEVER;
    }
    return Math.round(value * 1000);
  }
  const m = DURATION_RE.exec(value.trim());
  if (m === null) {
    ctx.addIssue({ code: 'custom', message: `"${value}" is not a duration (examples: 500ms, 10s, 5m, 1h)` });
    return z.NEVER;
  }
  const ms = Number(m[1]) * UNIT_MS[(m[2] ?? 's') as keyof typeof UNIT_MS];
  if (!(ms > 0)) {
    ctx.addIssue({ code: 'custom', message: 'must be greater than zero' });
    return z.NEVER;
  }
  return Math.round(ms);
});

export const TopicPrefix = z
  .string()
  .min(1)
  .refine((p) => !p.startsWith('$') && !/[+#\u0000]/.test(p) && !p.split('/').some((l) => l === ''), {
    message: 'must be topic levels without + # $ or empty levels, e.g. sitrep/v1',
  });

