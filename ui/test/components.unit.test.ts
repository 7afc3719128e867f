/**
 * Components rendered with Vue's server renderer (no DOM needed): role gating of the action
 * buttons, and the cells of a grid row carrying their light for styling and for tests.
 */
import { describe, expect, it } from 'vitest';
import { createSSRApp, h, shallowRef, type Component } from 'vue';
import { renderToString } from 'vue/server-renderer';
import { createMemoryHistory, createRouter } from 'vue-router';
import { APP_CONTEXT, type AppContext } from '../src/app-context.js';
import ActionBar from '../src/components/actions/ActionBar.vue';
import GridRow from '../src/components/overview/GridRow.vue';
import type { CommandView } from '../src/composables/useCommands.js';
import type { Role } from '../src/model/roles.js';
import { visibleActions } from '../src/model/roles.js';
import { birth, service, status } from './fixtures.js';

function context(role: Role | null, sent: CommandView[] = []): AppContext {
  return {
    auth: { role: shallowRef(role) },
    commands: { sent: shallowRef(new Map(sent.map((c) => [c.id, c]))), send: async () => sent[0] as CommandView },
  } as unknown as AppContext;
}

async function render(component: Component, props: Record<string, unknown>, ctx: AppContext): Promise<string> {
  const app = createSSRApp({ render: () => h(component, props) });
  app.provide(APP_CONTEXT, ctx);
  const router = createRouter({ history: createMemoryHistory(), routes: [{ path: '/:p(.*)*', component: { render: () => null } }] });
  app.use(router);
  await router.push('/');
  return renderToString(app);
}

const RESTARTABLE = { node: 'web-1', target: 'worker', accepted: ['start', 'stop', 'restart', 'replay'] };

describe('role gating', () => {
  it('offers an operator the actions the agent accepts, nobody else any', () => {
    expect(visibleActions('operator', ['start', 'stop', 'restart', 'replay', 'rebirth'])).toEqual(['start', 'stop', 'restart']);
    expect(visibleActions('operator', undefined)).toEqual([]);
    for (const role of ['viewer', 'integration', 'service', 'agent', null] as const) {
      expect(visibleActions(role, ['start', 'stop', 'restart', 'run'])).toEqual([]);
    }
  });

  it('renders buttons for an operator and nothing at all for a viewer or an unknown role', async () => {
    const operator = await render(ActionBar, RESTARTABLE, context('operator'));
    expect(operator).toContain('data-testid="action-restart"');
    expect(operator).toContain('data-testid="action-stop"');
    expect(operator).not.toContain('action-replay');
    for (const role of ['viewer', null] as const) {
      const html = await render(ActionBar, RESTARTABLE, context(role));
      expect(html).not.toContain('<button');
      expect(html).not.toContain('data-testid="actions"');
    }
  });

  it('disables start on a running service and shows the result of the last command with its reason', async () => {
    const refused: CommandView = { id: 'c1', node: 'web-1', action: 'restart', target: 'worker', sentAt: 1, state: 'refused', message: 'restart is not allowed for worker' };
    const html = await render(ActionBar, { ...RESTARTABLE, running: true }, context('operator', [refused]));
    expect(html).toMatch(/<button[^>]*disabled[^>]*data-testid="action-start"/);
    expect(html).toMatch(/data-state="refused"/);
    expect(html).toContain('restart is not allowed for worker');
    const pending = await render(ActionBar, RESTARTABLE, context('operator', [{ ...refused, state: 'pending', message: '' }]));
    expect(pending).toContain('pending…');
    expect(pending).toMatch(/<button[^>]*disabled[^>]*data-testid="action-restart"/);
  });
});

describe('grid row', () => {
  it('paints each cell from the node and service state, greyed when the node is lost', async () => {
    const record = { status: status(), birth: birth({ services: [{ id: 'nginx.service', kind: 'systemd', expect: 'running', actions: [] }] }) };
    const states = new Map([['nginx.service', service({ state: 'failed' })]]);
    const props = { node: 'web-1', status: record.status, birth: record.birth, states, columns: ['nginx.service', 'other'] };
    const html = await render({ render: () => h('table', [h('tbody', [h(GridRow, props)])]) }, {}, context('viewer'));
    expect(html).toMatch(/data-service="nginx.service" data-light="down"/);
    expect(html).toMatch(/data-service="other" data-light="absent"/);
    const lost = await render({ render: () => h('table', [h('tbody', [h(GridRow, { ...props, status: status({ state: 'lost' }) })])]) }, {}, context('viewer'));
    expect(lost).toMatch(/data-service="nginx.service" data-light="unknown"/);
    expect(lost).toMatch(/class="dot l-unknown stale"/);
    expect(lost).toContain('class="dimmed"');
  });
});
