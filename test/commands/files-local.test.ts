import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, runCli, runProgram } from '../helpers/cli.js';
import { useLocalSandbox } from '../helpers/sandbox.js';

const NOBODY = 65534;
const asRoot = process.getuid?.() === 0;
const mode = (path: string): number => statSync(path).mode & 0o777;

describe('files pairbot writes (built CLI)', () => {
  const box = useLocalSandbox();
  const db = (): string => join(box.dir, 'data', 'pairbot.db');
  const state = (): string => join(box.dir, 'data', 'local-state.db');

  it('creates the database and the local state with mode 0600, and leaves an operator-chosen mode alone', async () => {
    expect((await box.pairbot('pair', '--date', '2026-11-23')).code).toBe(0);
    expect(mode(db())).toBe(0o600);
    expect(mode(state())).toBe(0o600);
    chmodSync(db(), 0o640);
    chmodSync(state(), 0o640);
    expect((await box.pairbot('pair', '--date', '2026-11-30')).code).toBe(0);
    expect(mode(db())).toBe(0o640);
    expect(mode(state())).toBe(0o640);
  });

  it('creates its folders writable by the owner only, whatever the umask: nobody else can delete or swap the files', async () => {
    const out = join(box.dir, 'reports', 'weekly');
    const cmd = `umask 000 && "${process.execPath}" "${BIN}" pair --date 2026-11-23 && "${process.execPath}" "${BIN}" report --out "${join(out, 'r.html')}"`;
    const r = await runProgram('sh', ['-c', cmd], { cwd: box.dir, env: box.env });
    expect(r.code, r.stderr).toBe(0);
    for (const dir of [join(box.dir, 'data'), join(box.dir, 'reports'), out]) expect(mode(dir) & 0o022, dir).toBe(0);
  });

  it.runIf(asRoot)('writes to a writable database owned by another user without changing its mode', async () => {
    expect((await box.pairbot('pair', '--date', '2026-11-23')).code).toBe(0);
    chmodSync(box.dir, 0o777);
    chmodSync(join(box.dir, 'data'), 0o777);
    chmodSync(db(), 0o666);
    chmodSync(state(), 0o666);
    chmodSync(join(box.dir, 'roster.csv'), 0o644);
    const r = await runCli(['pair', '--date', '2026-11-30'], { cwd: box.dir, env: box.env, uid: NOBODY });
    expect(r.code, r.stderr).toBe(0);
    expect(statSync(db()).uid).toBe(0);
    expect(mode(db())).toBe(0o666);
  });

  it.runIf(asRoot)('dry runs and listings only read: they work for a user who may read the data but not write it', async () => {
    expect((await box.pairbot('pair', '--date', '2026-11-23')).code).toBe(0);
    chmodSync(box.dir, 0o755);
    chmodSync(join(box.dir, 'data'), 0o755);
    chmodSync(db(), 0o644);
    chmodSync(state(), 0o644);
    chmodSync(join(box.dir, 'roster.csv'), 0o644);
    for (const args of [['pair', '--dry-run', '--date', '2026-11-30'], ['members'], ['local', 'messages'], ['status']]) {
      const r = await runCli(args, { cwd: box.dir, env: box.env, uid: NOBODY });
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
    }
  });

  it.runIf(asRoot)('says the directory must be writable when SQLite cannot write its journal beside the database (exit 2)', async () => {
    expect((await box.pairbot('pair', '--date', '2026-11-23')).code).toBe(0);
    chmodSync(box.dir, 0o755);
    chmodSync(db(), 0o666);
    chmodSync(join(box.dir, 'data'), 0o555);
    const r = await runCli(['pair', '--date', '2026-11-30'], { cwd: box.dir, env: box.env, uid: NOBODY });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`PAIRBOT_DB: cannot use ${db()}: ${join(box.dir, 'data')} is not writable by this user`);
    expect(r.stderr).toContain('SQLite writes its journal files, -wal and -shm, beside the file');
  });

  it.runIf(asRoot)('on a full disk a run and a report say the disk is full, naming the path, and store nothing', async (t) => {
    expect((await box.pairbot('pair', '--date', '2026-11-23')).code).toBe(0);
    const disk = join(box.dir, 'disk');
    mkdirSync(disk);
    // A small disk of its own (needs the right to mount, as root in a container may lack).
    if ((await runProgram('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', disk], { cwd: box.dir })).code !== 0) return t.skip();
    try {
      for (const f of ['pairbot.db', 'local-state.db']) copyFileSync(join(box.dir, 'data', f), join(disk, f));
      const env = { ...box.env, PAIRBOT_DB: join(disk, 'pairbot.db') };
      await runProgram('dd', ['if=/dev/zero', `of=${join(disk, 'fill')}`, 'bs=4k'], { cwd: box.dir });
      const pair = await runCli(['pair', '--date', '2026-11-30'], { cwd: box.dir, env });
      expect(pair.code).toBe(1);
      expect(pair.stderr).toContain(`the disk holding ${disk} is full (0 KB free)`);
      const out = join(disk, 'r.html');
      const report = await runCli(['report', '--out', out], { cwd: box.dir, env });
      expect(report.code).toBe(1);
      expect(report.stderr).toContain(`[pairbot] error: cannot write ${out}: no space left on the disk (ENOSPC)`);
      rmSync(join(disk, 'fill'));
      // No report, no temporary file (SQLite may leave its empty journal files, which the next run uses).
      expect(readdirSync(disk).filter((f) => !f.startsWith('pairbot.db-'))).toEqual(['local-state.db', 'pairbot.db']);
      const status = await runCli(['status', '--json'], { cwd: box.dir, env });
      expect(JSON.parse(status.stdout).lastRound.round).toBe('2026-W48');
    } finally {
      await runProgram('umount', [disk], { cwd: box.dir });
    }
  });

  it('refuses --db "" as a usage error, creating nothing', async () => {
    const r = await box.pairbot('pair', '--db', '');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--db: expected a value');
    expect(existsSync(join(box.dir, 'data'))).toBe(false);
  });
});

/**
 * PAIRBOT_DB and PAIRBOT_LOCAL_STATE name files pairbot must read and write: one it cannot use
 * (a folder, a file of something else, a place no file can be made or this user may not write)
 * is a configuration error, exit 2 naming the setting and the path, before anything is written.
 */
describe('a database or local state file pairbot cannot use (built CLI)', () => {
  const box = useLocalSandbox();
  const data = (): string => join(box.dir, 'data');
  const nothingWritten = (): void => expect(existsSync(data())).toBe(false);

  it.each([
    ['a place no file can be made', '/proc/pairbot-x.db'],
    ['a path under a file', '/etc/passwd/local-state.db'],
  ])('PAIRBOT_LOCAL_STATE at %s: pair is exit 2 naming it, nothing stored; doctor says ✗', async (_, path) => {
    box.env.PAIRBOT_LOCAL_STATE = path;
    const r = await box.pairbot('pair', '--date', '2026-11-23');
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(`PAIRBOT_LOCAL_STATE: cannot use ${path}`);
    expect(r.stderr).not.toContain('unexpected failure');
    nothingWritten();
    const doctor = await box.pairbot('doctor');
    expect(doctor.code).toBe(2);
    expect(doctor.stdout).toMatch(/✗ local state usable: /);
    expect(doctor.stdout).not.toContain('✓ local state usable');
  });

  it('PAIRBOT_LOCAL_STATE naming a folder is exit 2 for every command, naming it; doctor says ✗', async () => {
    box.env.PAIRBOT_LOCAL_STATE = box.dir;
    for (const args of [['pair', '--date', '2026-11-23'], ['pair', '--dry-run'], ['local', 'messages'], ['members']]) {
      const r = await box.pairbot(...args);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toContain(`PAIRBOT_LOCAL_STATE: ${box.dir} is a folder, not a file`);
    }
    nothingWritten();
    const doctor = await box.pairbot('doctor');
    expect(doctor.code).toBe(2);
    expect(doctor.stdout).toContain(`PAIRBOT_LOCAL_STATE: ${box.dir} is a folder`);
  });

  it.runIf(asRoot)('a local state file this user may not write: exit 2 naming PAIRBOT_LOCAL_STATE, nothing stored', async () => {
    expect((await box.pairbot('pair', '--date', '2026-11-23')).code).toBe(0);
    chmodSync(box.dir, 0o777);
    chmodSync(data(), 0o777);
    chmodSync(join(data(), 'pairbot.db'), 0o666);
    chmodSync(join(box.dir, 'roster.csv'), 0o644);
    // The state file stays root's, mode 0600.
    const before = statSync(join(data(), 'pairbot.db')).mtimeMs;
    const r = await runCli(['pair', '--date', '2026-11-30'], { cwd: box.dir, env: box.env, uid: NOBODY });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(`PAIRBOT_LOCAL_STATE: cannot use ${join(data(), 'local-state.db')}`);
    expect(statSync(join(data(), 'pairbot.db')).mtimeMs).toBe(before);
    const doctor = await runCli(['doctor'], { cwd: box.dir, env: box.env, uid: NOBODY });
    expect(doctor.code).toBe(2);
    expect(doctor.stdout).toMatch(/✗ local state usable: /);
  });

  it('a file that is not a SQLite database, given as --db or PAIRBOT_DB: exit 2 naming the setting, the file untouched', async () => {
    const junk = join(box.dir, 'notes.txt');
    writeFileSync(junk, 'root:x:0:0:root:/root:/bin/bash\n'.repeat(20));
    const before = readFileSync(junk);
    for (const [args, setting] of [
      [['pair', '--date', '2026-11-23', '--db', junk], '--db'],
      [['status', '--db', junk], '--db'],
      [['report', '--out', join(box.dir, 'r.html'), '--db', junk], '--db'],
    ] as const) {
      const r = await box.pairbot(...args);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toContain(`${setting}: ${junk} is not a pairbot database`);
    }
    box.env.PAIRBOT_DB = junk;
    const r = await box.pairbot('pair', '--date', '2026-11-23');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`PAIRBOT_DB: ${junk} is not a pairbot database`);
    expect(readFileSync(junk).equals(before)).toBe(true);
    expect(existsSync(join(box.dir, 'r.html'))).toBe(false);
  });

  it('a database of a newer pairbot: exit 2 naming PAIRBOT_DB, saying to upgrade, the file untouched', async () => {
    mkdirSync(data());
    const path = join(data(), 'pairbot.db');
    const future = new Database(path);
    future.pragma('user_version = 999');
    future.close();
    const before = readFileSync(path);
    for (const args of [['pair', '--date', '2026-11-23'], ['pair', '--dry-run'], ['status'], ['export']]) {
      const r = await box.pairbot(...args);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(
        /PAIRBOT_DB: database .*pairbot\.db has schema version 999, newer than this pairbot understands .*upgrade pairbot/,
      );
    }
    expect(readFileSync(path).equals(before)).toBe(true);
  });

  it('a database no folder can be made for: exit 2 naming PAIRBOT_DB and the path', async () => {
    box.env.PAIRBOT_DB = '/proc/pairbot-x/pairbot.db';
    const r = await box.pairbot('pair', '--date', '2026-11-23');
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('PAIRBOT_DB: cannot use /proc/pairbot-x/pairbot.db');
  });

  it.runIf(asRoot)('a database whose folder this user may not create: exit 2 naming PAIRBOT_DB, not "cannot open database"', async () => {
    chmodSync(box.dir, 0o755);
    chmodSync(join(box.dir, 'roster.csv'), 0o644);
    const r = await runCli(['pair', '--date', '2026-11-23'], { cwd: box.dir, env: box.env, uid: NOBODY });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(`PAIRBOT_DB: cannot use ${join(data(), 'pairbot.db')}: ${box.dir} is not writable by this user`);
    nothingWritten();
  });

  it("pairbot's own database damaged mid-file stays a database error (exit 1)", async () => {
    expect((await box.pairbot('pair', '--date', '2026-11-23')).code).toBe(0);
    const path = join(data(), 'pairbot.db');
    const bytes = readFileSync(path);
    // Every page after the first (the schema's) overwritten: the header still says SQLite, the tables are garbage.
    bytes.fill(0x5a, 4096);
    writeFileSync(path, bytes);
    const r = await box.pairbot('status');
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/malformed/);
  });
});
