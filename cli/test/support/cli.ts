/** Run the real `sitrep` command as a child process, the way a user does. */
import { fileURLToPath } from 'node:url';
import { execa, type ResultPromise } from 'execa';

export const SITREP = fileURLToPath(new URL('../../bin/sitrep.js', import.meta.url));

export function sitrep(args: string[], env: Record<string, string> = {}): ResultPromise<{ reject: false; env: Record<string, string>; extendEnv: true; stdin: 'ignore' }> {
  return execa('node', [SITREP, ...args], { reject: false, env, extendEnv: true, stdin: 'ignore' });
}

/** Resolve once the child's stderr contains `text` (or fail with what it printed). */
export function stderrSays(child: ResultPromise, text: string, timeoutMs = 15_000): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`child did not print ${JSON.stringify(text)} within ${timeoutMs} ms; stderr: ${seen}`)), timeoutMs);
    child.stderr?.on('data', (chunk: Buffer) => {
      seen += chunk.toString('utf8');
      if (seen.includes(text)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.then(
      () => reject(new Error(`child exited before printing ${JSON.stringify(text)}; stderr: ${seen}`)),
      () => undefined,
    );
  });
}
