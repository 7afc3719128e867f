/** `pnpm contract`: writes docs/contract/ from the schemas (see render-contract.ts). */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderContract } from './render-contract.js';

export const CONTRACT_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'docs', 'contract');

const files = renderContract();
rmSync(join(CONTRACT_DIR, 'schemas'), { recursive: true, force: true });
for (const [name, content] of files) {
  const path = join(CONTRACT_DIR, name);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
}
console.log(`wrote ${files.size} files to ${CONTRACT_DIR} (${readdirSync(join(CONTRACT_DIR, 'schemas')).length} schemas)`);
