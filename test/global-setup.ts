import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * Command tests drive the built CLI: build it once before the suite. Type errors
 * are reported by `npm test`'s typecheck step; here only a failed emit stops the run.
 */
export default function setup(): void {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const tsc = fileURLToPath(new URL('../node_modules/typescript/bin/tsc', import.meta.url));
  const result = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, encoding: 'utf8' });
  if (result.status !== 0) process.stderr.write(result.stdout);
  if (!existsSync(fileURLToPath(new URL('../dist/src/main.js', import.meta.url))))
    throw new Error('build failed: dist/src/main.js was not written');
}
