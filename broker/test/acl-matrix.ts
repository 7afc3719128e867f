/**
 * The ACL matrix (DESIGN.md section 7) as a table: role x topic x publish/subscribe -> allowed?
 * The expected values are written out here, not derived from acl.ts, so a change to the matrix has
 * to change this table too. Checked over real connections against the embedded broker
 * (acl-table.int.test.ts) and against Mosquitto with the exported files (acl-mosquitto.int.test.ts).
 */
import { createTopics } from '@sitrep/schemas';

export const t = createTopics('sitrep/v1');

export const ROLES = ['agent', 'viewer', 'operator', 'integration', 'integration+cmd', 'service'] as const;
export type RoleName = (typeof ROLES)[number];

/** `Y` allowed, `-` denied, one column per role in the order of ROLES. */
export type Row = [topic: string, expected: string];

// prettier-ignore
export const PUBLISH: Row[] = [
  //                              agent viewer operator integration integration+cmd service
  [t.status('n1'),                'Y     -      -        -           -               -'],
  [t.status('n2'),                '-     -      -        -           -               -'],
  [t.birth('n1'),                 'Y     -      -        -           -               -'],
  [t.events('n1'),                'Y     -      -        -           -               -'],
  [t.events('n2'),                '-     -      -        -           -               -'],
  [t.service('n1', 'nginx.service'), 'Y  -      -        -           -               -'],
  [t.cmdResult('n1'),             'Y     -      -        -           -               -'],
  [t.cmdResult('n2'),             '-     -      -        -           -               -'],
  [t.cmd('n1'),                   '-     -      Y        -           Y               Y'],
  [t.cmd('n2'),                   '-     -      Y        -           Y               Y'],
  [t.alerts(),                    '-     -      -        -           -               Y'],
  [t.summary(),                   '-     -      -        -           -               Y'],
  [t.projectorStatus(),           '-     -      -        -           -               Y'],
  [t.query('transitions'),        '-     Y      Y        Y           Y               -'],
  [t.reply('ui-1'),               '-     -      -        -           -               Y'],
  ['elsewhere/x',                 '-     -      -        -           -               -'],
  ['$SYS/x',                      '-     -      -        -           -               -'],
];

// prettier-ignore
export const SUBSCRIBE: Row[] = [
  //                              agent viewer operator integration integration+cmd service
  [t.filter.all(),                '-     Y      Y        Y           Y               Y'],
  [t.cmd('n1'),                   'Y     Y      Y        Y           Y               Y'],
  [t.cmd('n2'),                   '-     Y      Y        Y           Y               Y'],
  [t.filter.cmd(),                '-     Y      Y        Y           Y               Y'],
  [t.filter.node('n1'),           '-     Y      Y        Y           Y               Y'],
  [t.filter.status(),             '-     Y      Y        Y           Y               Y'],
  [t.projectorStatus(),           'Y     Y      Y        Y           Y               Y'],
  [t.filter.reply(),              '-     Y      Y        Y           Y               Y'],
  ['#',                           '-     -      -        -           -               -'],
  ['+/v1/#',                      '-     -      -        -           -               -'],
  ['$SYS/#',                      '-     -      -        -           -               -'],
  ['elsewhere/#',                 '-     -      -        -           -               -'],
];

export function cases(rows: Row[]): { role: RoleName; topic: string; allowed: boolean }[] {
  return rows.flatMap(([topic, expected]) => {
    const marks = expected.split(/\s+/);
    if (marks.length !== ROLES.length) throw new Error(`row ${topic}: ${marks.length} columns`);
    return ROLES.map((role, i) => ({ role, topic, allowed: marks[i] === 'Y' }));
  });
}

/** The identity each column stands for: integration+cmd is an integration with `commands: true`. */
export function identityOf(role: RoleName): { role: Exclude<RoleName, 'integration+cmd'>; username: string; node?: string; commands: boolean } {
  return {
    role: role === 'integration+cmd' ? 'integration' : role,
    username: `u-${role.replace('+', '-')}`,
    ...(role === 'agent' ? { node: 'n1' } : {}),
    commands: role === 'integration+cmd',
  };
}
