import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readRoster } from '../../src/platforms/roster.js';
import { tempDir } from '../helpers/tmp.js';

describe('readRoster', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDir()));
  afterEach(() => cleanup());
  const file = (name: string, content: string) => {
    writeFileSync(join(dir, name), content);
    return join(dir, name);
  };

  it('reads CSV with quoted fields, blank time zones and extra columns as attributes', () => {
    const users = readRoster(file('r.csv', 'id,name,timezone,team\r\nu1,"ann, the first",Europe/Berlin,"a ""b"""\r\nu2,@ben,,\r\n\r\n'));
    expect(users).toEqual([
      { id: 'u1', name: 'ann, the first', timezone: 'Europe/Berlin', attributes: { team: 'a "b"' } },
      { id: 'u2', name: 'ben' },
    ]);
  });

  it('reads a JSON array', () => {
    expect(readRoster(file('r.json', '[{"id":"u1","name":"ann","timezone":"UTC","cohort":3}]'))).toEqual([
      { id: 'u1', name: 'ann', timezone: 'UTC', attributes: { cohort: '3' } },
    ]);
  });

  it('names the file, line and problem', () => {
    expect(() => readRoster(file('a.csv', ''))).toThrow(/a.csv: empty roster/);
    expect(() => readRoster(file('b.csv', 'id,timezone\n'))).toThrow(/b.csv: line 1: missing column "name"/);
    expect(() => readRoster(file('c.csv', 'id,name,timezone\nu1,ann\n'))).toThrow(/c.csv: line 2: expected 3 fields, found 2/);
    expect(() => readRoster(file('d.csv', 'id,name,timezone\n,ann,\n'))).toThrow(/d.csv: line 2: empty id/);
    expect(() => readRoster(file('e.json', '{"id":1}'))).toThrow(/e.json: expected a JSON array/);
    expect(() => readRoster(file('f.json', '[{"id":"x"}]'))).toThrow(/f.json: entry 1: missing "name"/);
    expect(() => readRoster(join(dir, 'missing.csv'))).toThrow(/PAIRBOT_ROSTER: cannot read roster .*missing.csv: ENOENT/);
  });
});
