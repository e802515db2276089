import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, SETTINGS } from '../../src/config.js';
import { BIN } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

const ROOT = dirname(dirname(BIN));

describe('example.env', () => {
  const text = readFileSync(join(ROOT, 'example.env'), 'utf8');
  const lines = text.split('\n');
  const named = lines.map((line) => /^#?\s*([A-Z][A-Z0-9_]+)=/.exec(line)?.[1]).filter((n): n is string => !!n);

  it('lists every setting src/config.ts reads, once, and nothing else', () => {
    expect([...named].sort()).toEqual([...SETTINGS].sort());
  });

  it('explains each one in a comment', () => {
    for (const line of lines.filter((l) => /^#?\s*[A-Z][A-Z0-9_]+=/.test(l))) expect(line, line).toMatch(/=\S*\s+#\s*\S/);
  });

  it('is a working .env as it stands', () => {
    const { dir, cleanup } = tempDir();
    try {
      copyFileSync(join(ROOT, 'example.env'), join(dir, '.env'));
      const config = loadConfig({}, {}, dir);
      expect(config.platform).toBe('local');
      expect(config.cadence).toBe('weekly');
      expect(config.db).toBe(join(dir, 'data', 'pairbot.db'));
    } finally {
      cleanup();
    }
  });
});

/** Minimal INI reading: section → key → values (systemd keys may repeat). */
function unit(path: string): Record<string, Record<string, string[]>> {
  const out: Record<string, Record<string, string[]>> = {};
  let section = '';
  for (const raw of readFileSync(path, 'utf8').split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const header = /^\[(\w+)\]$/.exec(line);
    if (header) {
      section = header[1]!;
      out[section] = {};
      continue;
    }
    const m = /^(\w+)=(.*)$/.exec(line);
    expect(m, `${path}: ${line}`).not.toBeNull();
    expect(section, `${path}: a key before any section`).not.toBe('');
    (out[section]![m![1]!] ??= []).push(m![2]!);
  }
  return out;
}

describe('systemd units', () => {
  const installed = (path: string) => join(ROOT, path.replace(/^\/opt\/pairbot\//, ''));

  it('pairbot.service runs the scheduler of the install directory, which stops on SIGTERM', () => {
    const u = unit(join(ROOT, 'systemd', 'pairbot.service'));
    expect(u.Service!.WorkingDirectory).toEqual(['/opt/pairbot']);
    const [exec] = u.Service!.ExecStart!;
    expect(exec).toBe('/usr/bin/env node /opt/pairbot/dist/src/scheduler.js');
    expect(existsSync(installed('/opt/pairbot/dist/src/scheduler.js'))).toBe(true);
    expect(u.Service!.KillSignal).toEqual(['SIGTERM']);
    // The default database lives in data/ of the working directory, which must stay writable.
    expect(u.Service!.ReadWritePaths).toEqual(['/opt/pairbot/data']);
    expect(u.Install!.WantedBy).toEqual(['multi-user.target']);
  });

  it("the install steps (README's and the unit's own) create each ReadWritePaths folder before enabling the service", () => {
    // systemd refuses to start a unit whose ReadWritePaths folder is missing (226/NAMESPACE), and
    // with ProtectSystem=strict pairbot could not create data/ itself.
    const paths = unit(join(ROOT, 'systemd', 'pairbot.service')).Service!.ReadWritePaths!;
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const readmeSteps = /### systemd[\s\S]*?```text\n([\s\S]*?)```/.exec(readme)![1]!;
    const unitSteps = readFileSync(join(ROOT, 'systemd', 'pairbot.service'), 'utf8');
    for (const steps of [readmeSteps, unitSteps]) {
      const enable = steps.indexOf('systemctl enable');
      expect(enable).toBeGreaterThan(0);
      for (const path of paths) {
        const created = new RegExp(`install -d [^\\n]*-o pairbot[^\\n]* ${path}\\b`).exec(steps);
        expect(created, `${path} created in:\n${steps}`).not.toBeNull();
        expect(created!.index).toBeLessThan(enable);
      }
    }
  });

  it('pairbot.timer starts a unit that exists and runs doctor', () => {
    const timer = unit(join(ROOT, 'systemd', 'pairbot.timer'));
    const [target] = timer.Timer!.Unit!;
    const service = unit(join(ROOT, 'systemd', target!));
    expect(service.Service!.Type).toEqual(['oneshot']);
    expect(service.Service!.ExecStart).toEqual(['/usr/bin/env node /opt/pairbot/bin/pairbot.js doctor']);
    expect(existsSync(installed('/opt/pairbot/bin/pairbot.js'))).toBe(true);
    expect(timer.Timer!.OnCalendar).toEqual(['*-*-* 07:00:00']);
  });
});
