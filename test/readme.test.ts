import { spawn } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN } from './helpers/cli.js';
import { tempDir } from './helpers/tmp.js';

const ROOT = dirname(dirname(BIN));
/** What a fresh clone does not have: the developer's state, and what npm would install. */
const NOT_IN_A_CLONE = new Set(['.git', 'node_modules', 'data', 'test-results', '.env', 'pairbot-report.html']);

/** The README's `sh` blocks, in order. */
function shellBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);
}

/**
 * Stands in for npm: `npm ci` would install what node_modules (linked) already
 * holds, and `npm test`/`npm run build` are this suite and its global build; it
 * checks that each script the README names exists, so a renamed script fails here.
 */
const NPM_SHIM = `#!/bin/sh
case "$1" in
  ci|install) exit 0 ;;
  test) script=test ;;
  run) script="$2" ;;
  *) echo "npm shim: unexpected npm $*" >&2; exit 1 ;;
esac
node -e 'const s = require("./package.json").scripts || {}; if (!(process.argv[1] in s)) { console.error("npm: no script " + process.argv[1]); process.exit(1); }' "$script"
`;

function runShell(script: string, cwd: string, env: Record<string, string>): Promise<{ code: number; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-e', '-c', script], { cwd, env });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, out }));
  });
}

describe('README', () => {
  let dir: string;
  let cleanup: () => void;
  beforeAll(() => {
    ({ dir, cleanup } = tempDir('pairbot-readme-'));
  });
  afterAll(() => cleanup());

  it('every sh block works pasted in order into one shell on a fresh clone', async () => {
    const blocks = shellBlocks(readFileSync(join(ROOT, 'README.md'), 'utf8'));
    expect(blocks.length).toBeGreaterThanOrEqual(4);
    const clone = join(dir, 'pairbot');
    cpSync(ROOT, clone, {
      recursive: true,
      filter: (src) => src === ROOT || !(dirname(src) === ROOT && NOT_IN_A_CLONE.has(basename(src))),
    });
    symlinkSync(join(ROOT, 'node_modules'), join(clone, 'node_modules'));
    const shim = join(dir, 'shim');
    mkdirSync(shim);
    writeFileSync(join(shim, 'npm'), NPM_SHIM);
    chmodSync(join(shim, 'npm'), 0o755);
    const tmp = join(dir, 'tmp');
    mkdirSync(tmp);

    const script = blocks.map((b, i) => `echo "### README block ${i + 1}"\n${b}`).join('\n');
    const r = await runShell(script, clone, { PATH: `${shim}:${process.env.PATH ?? ''}`, HOME: dir, TMPDIR: tmp });
    const failedIn = [...r.out.matchAll(/### README block (\d+)/g)].pop()?.[1];
    expect(r.code, `README block ${failedIn} failed:\n${r.out}`).toBe(0);
    // What the blocks' comments promise is what they print.
    expect(r.out).toContain('Opted out: dave');
    expect(r.out).toContain('Feedback so far: 1 met, 0 missed, 0 scheduled, 5 unanswered.');
    expect(r.out).toContain('[p8] to alice, frank');
    expect(r.out).toContain('[p1] to alice, ivan, niaj');
    expect(r.out).toMatch(/answers\.csv\s+exclusions\.csv\s+groups\.csv\s+members\.csv\s+outcomes\.csv\s+rounds\.csv/);
  }, 240_000);
});
