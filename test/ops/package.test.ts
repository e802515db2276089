import { copyFileSync, cpSync, mkdirSync, readdirSync, renameSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, runProgram } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

const ROOT = dirname(dirname(BIN));
/** What the copy that `npm pack` builds in leaves out: its own build, and what is linked or not packed. */
const NOT_COPIED = new Set(['.git', 'node_modules', 'dist', 'data', 'test-results']);

/** npm with the user's HOME (its cache), asynchronously so the test runner keeps answering. */
function npm(args: string[], cwd: string, extraEnv: Record<string, string> = {}) {
  return runProgram('npm', args, {
    cwd,
    env: {
      HOME: process.env.HOME ?? cwd,
      npm_config_update_notifier: 'false',
      npm_config_fund: 'false',
      npm_config_audit: 'false',
      ...extraEnv,
    },
  });
}

/**
 * `npm pack` makes a tarball that installs in an empty directory and runs there. No test
 * reaches the internet, so the tarball is unpacked where npm would put it and its
 * production dependencies installed from npm's cache by the checkout's lockfile
 * (`npm ci --offline --omit=dev`: the tarballs `npm ci` cached, no registry metadata, which
 * a plain `npm install` of the tarball would need and a fresh cache lacks); a runtime import
 * of a devDependency would fail here. The one native step — better-sqlite3's binary, which
 * npm would download or compile — is stood in for by the binary this checkout built.
 */
describe('the npm package', () => {
  let dir: string;
  let cleanup: () => void;
  let app: string;
  let files: string[];
  beforeAll(async () => {
    ({ dir, cleanup } = tempDir('pairbot-pack-'));
    // npm pack builds (prepack) in a copy of the checkout: building in place would rewrite
    // the dist/ that every other test runs while they run (seen: a command's module read
    // half-written, "inbox is not a function").
    const checkout = join(dir, 'checkout');
    cpSync(ROOT, checkout, {
      recursive: true,
      filter: (src) => src === ROOT || !(dirname(src) === ROOT && NOT_COPIED.has(basename(src))),
    });
    symlinkSync(join(ROOT, 'node_modules'), join(checkout, 'node_modules'));
    const builtAt = statSync(BIN).mtimeMs;
    // The copy has no .git: its build takes the commit as a Docker build does.
    const commit = await runProgram('git', ['rev-parse', 'HEAD'], { cwd: ROOT });
    expect(commit.code, commit.stderr).toBe(0);
    const packed = await npm(['pack', '--json', '--pack-destination', dir], checkout, { PAIRBOT_COMMIT: commit.stdout.trim() });
    expect(packed.code, packed.stderr).toBe(0);
    expect(statSync(BIN).mtimeMs, 'npm pack rebuilt the dist/ the other tests run').toBe(builtAt);
    const [info] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as { filename: string; files: { path: string }[] }[];
    files = info!.files.map((f) => f.path);
    app = join(dir, 'app');
    const installedAt = join(app, 'node_modules', 'pairbot');
    mkdirSync(join(app, 'node_modules', '.bin'), { recursive: true });
    writeFileSync(join(app, 'package.json'), '{"name": "pairbot-install-test", "private": true}\n');
    const unpacked = await runProgram('tar', ['-xzf', join(dir, info!.filename), '-C', dir], { cwd: dir });
    expect(unpacked.code, unpacked.stderr).toBe(0);
    renameSync(join(dir, 'package'), installedAt);
    symlinkSync('../pairbot/bin/pairbot.js', join(app, 'node_modules', '.bin', 'pairbot'));
    copyFileSync(join(ROOT, 'package-lock.json'), join(installedAt, 'package-lock.json'));
    const installed = await npm(['ci', '--offline', '--omit=dev', '--ignore-scripts'], installedAt);
    expect(installed.code, installed.stderr).toBe(0);
    const release = join(installedAt, 'node_modules', 'better-sqlite3', 'build', 'Release');
    mkdirSync(release, { recursive: true });
    copyFileSync(
      join(ROOT, 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node'),
      join(release, 'better_sqlite3.node'),
    );
  }, 600_000);
  afterAll(() => cleanup?.());

  const pairbot = (...args: string[]) =>
    runProgram(join(app, 'node_modules', '.bin', 'pairbot'), args, {
      cwd: app,
      env: { PAIRBOT_ROSTER: join(app, 'node_modules', 'pairbot', 'examples', 'roster.csv') },
    });

  it('holds the built CLI, the scheduler and the examples, and no sources or tests', () => {
    for (const f of [
      'bin/pairbot.js',
      'dist/src/main.js',
      'dist/src/scheduler.js',
      'dist/build-info.json',
      'examples/roster.csv',
      'package.json',
      'README.md',
      'LICENSE',
    ])
      expect(files).toContain(f);
    expect(files.filter((f) => f.startsWith('src/') || f.startsWith('test/') || f.startsWith('dist/test/'))).toEqual([]);
  });

  it('runs --help, --version, doctor, a local dry run and status (with the commit) where it was installed', async () => {
    const help = await pairbot('--help');
    expect(help.code).toBe(0);
    for (const command of ['pair', 'doctor', 'crontab', 'status']) expect(help.stdout).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
    const version = await pairbot('--version');
    expect(version.stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
    const doctor = await pairbot('doctor');
    expect(doctor.code, doctor.stdout + doctor.stderr).toBe(0);
    expect(doctor.stdout).toMatch(/All checks passed/);
    const dry = await pairbot('pair', '--dry-run', '--date', '2026-11-23');
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/Round 2026-W48 .*dry run.*13 members/);
    expect(readdirSync(app)).not.toContain('data');
    expect((await pairbot('pair', '--quiet', '--date', '2026-11-23')).code).toBe(0);
    const status = await pairbot('status');
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/^pairbot \d+\.\d+\.\d+ \(commit [0-9a-f]{12}\)\n/);
  });
});
