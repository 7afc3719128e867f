/** One line per event: when, node, seq, type and what happened, in words. */
import type { AgentEvent } from '@sitrep/schemas';
import { time } from '../remote/table.js';

function describe(e: AgentEvent): string {
  switch (e.type) {
    case 'ServiceStateChanged': {
      const d = e.data;
      return `${d.service}: ${d.from} -> ${d.to}${d.result !== undefined && d.result !== 'success' ? ` (${d.result})` : ''}`;
    }
    case 'CheckCompleted':
      return `${e.data.check}: ${e.data.status} ${e.data.message.split('\n')[0] ?? ''}`.trimEnd();
    case 'CommandCompleted':
      return `${e.data.action} ${e.data.target || '-'}: ${e.data.outcome}${e.data.by === undefined ? '' : ` by ${e.data.by}`}: ${e.data.message}`;
    default: {
      const text = JSON.stringify(e.data);
      return text === '{}' ? '' : text.length > 200 ? `${text.slice(0, 199)}…` : text;
    }
  }
}

export function formatEvent(e: AgentEvent): string {
  return `${time(e.ts)}  ${e.node}  #${e.seq}  ${e.type}  ${describe(e)}`.trimEnd();
}
