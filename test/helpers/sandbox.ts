import { copyFileSync, writeFileSync } from 'node:fs';
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
