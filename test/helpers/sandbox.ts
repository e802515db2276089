import { chmodSync, copyFileSync, existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, expect } from 'vitest';
import { EXAMPLE_ROSTER, runCli, type CliResult } from './cli.js';
import { tempDir } from './tmp.js';

export interface LocalSandbox {
  /** This test's directory; the CLI runs in it. */
  readonly dir: string;
  /** Settings every run gets: the roster copy and a database in `data/`. */
  env: Record<string, string>;
  pairbot(...args: string[]): Promise<CliResult>;
  /** Runs a command with --json, expects exit 0 and returns the parsed document. */
  // biome-ignore lint/suspicious/noExplicitAny: tests read the documents' fields freely
  json(...args: string[]): Promise<any>;
  /** Replaces the roster with these ids (used as names too). */
  writeRoster(ids: string[]): void;
  /** Runs the CLI as another user (uid 65534; needs root) who may read this sandbox's files and write none. */
  asReader(...args: string[]): Promise<CliResult>;
}

/** Per test: a fresh temp directory holding a copy of the example roster, for the local platform. */
export function useLocalSandbox(): LocalSandbox {
  let cleanup = (): void => {};
  const box: LocalSandbox = {
    dir: '',
    env: {},
    pairbot: (...args) => runCli(args, { cwd: box.dir, env: box.env }),
    json: async (...args) => {
      const r = await box.pairbot(...args, '--json');
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
      return JSON.parse(r.stdout);
    },
    writeRoster: (ids) => writeFileSync(join(box.dir, 'roster.csv'), `id,name,timezone\n${ids.map((id) => `${id},${id},`).join('\n')}\n`),
    asReader: (...args) => {
      const data = join(box.dir, 'data');
      for (const dir of [box.dir, data]) if (existsSync(dir)) chmodSync(dir, 0o755);
      for (const file of existsSync(data) ? readdirSync(data) : []) chmodSync(join(data, file), 0o644);
      chmodSync(join(box.dir, 'roster.csv'), 0o644);
      return runCli(args, { cwd: box.dir, env: box.env, uid: 65534 });
    },
  };
  beforeEach(() => {
    const t = tempDir();
    cleanup = t.cleanup;
    (box as { dir: string }).dir = t.dir;
    copyFileSync(EXAMPLE_ROSTER, join(t.dir, 'roster.csv'));
    box.env = { PAIRBOT_ROSTER: join(t.dir, 'roster.csv'), PAIRBOT_DB: join(t.dir, 'data', 'pairbot.db') };
  });
  afterEach(() => cleanup());
  return box;
}

/** A fake platform server: its settings for pairbot, and a way to stop it. */
interface FakeServer {
  settings(): Record<string, string>;
  close(): Promise<void>;
}

export interface FakeServerSandbox<F extends FakeServer> {
  /** This test's fake server, started fresh for each test. */
  readonly fake: F;
  /** This test's directory; the CLI runs in it. */
  readonly dir: string;
  /** The fake's settings and a database in `data/`. */
  env: Record<string, string>;
  pairbot(...args: string[]): Promise<CliResult>;
}

/** Per test: a fake server from `start`, a fresh temp directory, and the CLI pointed at both. */
export function useFakeServerSandbox<F extends FakeServer>(start: () => Promise<F>): FakeServerSandbox<F> {
  let cleanup = (): void => {};
  const box = {
    fake: undefined as unknown as F,
    dir: '',
    env: {} as Record<string, string>,
    pairbot: (...args: string[]) => runCli(args, { cwd: box.dir, env: box.env }),
  };
  beforeEach(async () => {
    box.fake = await start();
    const t = tempDir();
    cleanup = t.cleanup;
    box.dir = t.dir;
    box.env = { ...box.fake.settings(), PAIRBOT_DB: join(t.dir, 'data', 'pairbot.db') };
  });
  afterEach(async () => {
    await box.fake.close();
    cleanup();
  });
  return box;
}
