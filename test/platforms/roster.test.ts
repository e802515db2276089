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

  it('spells a time zone as IANA does, whatever its case in the file', () => {
    const users = readRoster(file('z.csv', 'id,name,timezone\nu1,ann,europe/berlin\nu2,ben,ASIA/KOLKATA\nu3,cy,utc\n'));
    expect(users.map((u) => u.timezone)).toEqual(['Europe/Berlin', 'Asia/Kolkata', 'UTC']);
  });

  it('counts lines across quoted newlines and mixed line endings, and names a quote left open', () => {
    const text = 'id,name,timezone\r\nu1,"ann\nof two lines",UTC\r\n\r\nu2,ben,\nu3,cy\n';
    expect(() => readRoster(file('m.csv', text))).toThrow(/^m.csv: line 6: expected 3 fields, found 2$/);
    expect(readRoster(file('n.csv', 'id,name,timezone\nu1,"ann\nof two lines",UTC\ru2,ben,\n')).map((u) => u.id)).toEqual(['u1', 'u2']);
    expect(() => readRoster(file('o.csv', 'id,name,timezone\nu1,ann,UTC\nu2,"ben,UTC\n'))).toThrow(
      /^o.csv: line 3: not valid CSV: Quote Not Closed/,
    );
  });

  it('names the line a quote left open starts on, not the end of the file', () => {
    const text = 'id,name,timezone\nu1,ann,\n\nu2,"Smith, John,UTC\nu3,cy,\nu4,dee,\n';
    expect(() => readRoster(file('p.csv', text))).toThrow(/^p.csv: line 4: not valid CSV: Quote Not Closed/);
  });

  it('refuses a quoted field whose closing quote is missing instead of reading the next lines into it', () => {
    // Without its closing quote, "Smith, John would take in the next line up to the next quote: u3 would vanish.
    const text = 'id,name,timezone\r\nu1,ann,\r\nu2,"Smith, John,\r\nu3,"cy",\r\nu4,"dee",\r\n';
    expect(() => readRoster(file('s.csv', text))).toThrow(
      /^s.csv: line 3: not valid CSV: the quoted field "Smith, John, … is not closed on its line/,
    );
    // A quoted field may still hold a line break, and a quote inside an unquoted field is kept.
    expect(readRoster(file('t.csv', 'id,name,timezone\nu1,"ann\nof two lines",\nu2,Jo "JJ" Smith,\n')).map((u) => u.name)).toEqual([
      'ann of two lines',
      'Jo "JJ" Smith',
    ]);
  });

  it('names the lines of a duplicate id and of an unknown time zone after quoted newlines and blank lines', () => {
    const text = 'id,name,timezone\nu1,"ann\nof two lines",UTC\n\nu2,ben,\nu1,cy,\n';
    expect(() => readRoster(file('dup.csv', text))).toThrow(/^dup.csv: line 6: duplicate id "u1" \(first on line 2\)$/);
    expect(() => readRoster(file('tz.csv', 'id,name,timezone\r\nu1,"a\r\nb",UTC\r\n\r\nu2,ben,Mars/Base\r\n'))).toThrow(
      /^tz.csv: line 5: unknown time zone "Mars\/Base" for u2/,
    );
    expect(() => readRoster(file('dup.json', '[\n{"id": "u1", "name": "ann"},\n\n{"id": "u1", "name": "bo"}]'))).toThrow(
      /^dup.json: line 4: duplicate id "u1" \(first on line 2\)$/,
    );
  });

  it('names the first problem in the file when there are several', () => {
    expect(() => readRoster(file('p.csv', 'id,name,timezone\nu1,a,UTC\nu1,b,Mars/Base\n'))).toThrow(
      /^p.csv: line 3: duplicate id "u1" \(first on line 2\)$/,
    );
    expect(() => readRoster(file('q.csv', 'id,name,timezone\nu1,a,UTC\nu1,b,UTC\nu3,,UTC\n'))).toThrow(
      /^q.csv: line 3: duplicate id "u1" \(first on line 2\)$/,
    );
    expect(() => readRoster(file('r.csv', 'id,name,timezone\nu1,a,UTC\nu2,,UTC\nu1,b,UTC\n'))).toThrow(
      /^r.csv: line 3: empty name for id "u2"$/,
    );
    expect(() => readRoster(file('s.json', '[{"id": "u1", "name": "a"},\n {"id": "u1", "name": "b"},\n {"id": 3}]'))).toThrow(
      /^s.json: line 2: duplicate id "u1" \(first on line 1\)$/,
    );
  });

  it('reads a CSV roster without a timezone column, as a JSON roster without the key', () => {
    expect(readRoster(file('n.csv', 'id,name\nu1,ann\nu2,"Bea, B."\n'))).toEqual([
      { id: 'u1', name: 'ann' },
      { id: 'u2', name: 'Bea, B.' },
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
    expect(() => readRoster(file('f.json', '[{"id":"x"}]'))).toThrow(/f.json: line 1 \(entry 1\): missing "name"/);
    expect(() => readRoster(join(dir, 'missing.csv'))).toThrow(
      /PAIRBOT_ROSTER: cannot read roster .*missing.csv: no such file or folder \(ENOENT\)/,
    );
  });

  it('refuses a roster that is not UTF-8 (a spreadsheet saved as Windows-1252), naming the first line that is not', () => {
    const latin1 = (name: string, text: string) => {
      writeFileSync(join(dir, name), Buffer.from(text, 'latin1'));
      return join(dir, name);
    };
    expect(() => readRoster(latin1('w.csv', 'id,name,timezone\nu1,ann,\nu2,J\u00fcrgen M\u00fcller,UTC\n'))).toThrow(
      /w.csv: line 3: not UTF-8 text; save the roster as UTF-8 \(in a spreadsheet program: CSV UTF-8\)/,
    );
    // Two ids that differ only in such a byte are not read as one duplicate.
    expect(() => readRoster(latin1('ids.json', '[{"id":"m\u00e4x","name":"a"},\n{"id":"m\u00f6x","name":"b"}]'))).toThrow(
      /ids.json: line 1: not UTF-8 text/,
    );
  });

  it('refuses a CSV header that names a column twice, which would hide one of them', () => {
    expect(() => readRoster(file('dup.csv', 'id,name,timezone,ID\nu1,ann,UTC,x\n'))).toThrow(
      /dup.csv: line 1: column "id" is named twice \(columns 1 and 4\)/,
    );
    expect(() => readRoster(file('dup2.csv', 'id,name,timezone,team,Team\nu1,ann,UTC,a,b\n'))).toThrow(
      /dup2.csv: line 1: column "team" is named twice \(columns 4 and 5\)/,
    );
  });

  it('reads a CSV or JSON roster saved with a UTF-8 byte order mark', () => {
    expect(readRoster(file('bom.csv', '\uFEFFid,name,timezone\nu1,ann,\n'))).toEqual([{ id: 'u1', name: 'ann' }]);
    expect(readRoster(file('bom.json', '\uFEFF[{"id":"u1","name":"ann"}]'))).toEqual([{ id: 'u1', name: 'ann' }]);
  });

  it('refuses a JSON id, name or time zone that is not a string, naming the line', () => {
    const roster = '[\n  {"id": "u1", "name": "ann"},\n  {"id": "u2",\n   "name": ["x"]},\n  {"id": 7, "name": "cy"}\n]\n';
    expect(() => readRoster(file('g.json', roster))).toThrow(/^g.json: line 3 \(entry 2\): "name" must be a string, got an array$/);
    expect(() => readRoster(file('h.json', '[{"id": "u1", "name": "ann"},\n {"id": 7, "name": "cy"}]'))).toThrow(
      /^h.json: line 2 \(entry 2\): "id" must be a string, got number 7$/,
    );
    expect(() => readRoster(file('i.json', '[{"id": "u1", "name": "ann", "team": {"a": 1}}]'))).toThrow(
      /i.json: line 1 \(entry 1\): "team" must be a string or number, got an object/,
    );
    expect(() => readRoster(file('j.json', '[\n "a \\" [x", \n 3]'))).toThrow(/j.json: line 2 \(entry 1\): expected an object/);
    expect(() => readRoster(file('k.json', '[{"id": "a", "name": "b"}, \n\n 3]'))).toThrow(
      /k.json: line 3 \(entry 2\): expected an object/,
    );
  });

  it('refuses a JSON entry that gives a key twice, which JSON.parse would read as the last', () => {
    expect(() => readRoster(file('a.json', '[{"id":"a","id":"b","name":"x"}]'))).toThrow(
      /^a.json: line 1 \(entry 1\): "id" is given twice in this entry; keep one of them$/,
    );
    // Any key, spelt with escapes or not, on the entry's own lines; the first problem in the file is named.
    const roster = '[\n {"id": "u1", "name": "ann"},\n {"id": "u2",\n  "name": "bo", "team": "x",\n  "te\\u0061m": "y"}]';
    expect(() => readRoster(file('b.json', roster))).toThrow(
      /^b.json: line 3 \(entry 2\): "team" is given twice in this entry; keep one of them$/,
    );
    expect(() => readRoster(file('c.json', '[{"id": 7, "name": "a"},\n {"id": "u2", "name": "b", "name": "c"}]'))).toThrow(
      /^c.json: line 1 \(entry 1\): "id" must be a string, got number 7$/,
    );
    expect(() => readRoster(file('d.json', '[{"id": "u1", "name": "a", "team": {"k": 1, "k": 2}}]'))).toThrow(
      /^d.json: line 1 \(entry 1\): "k" is given twice in this entry; keep one of them$/,
    );
    // The same key in other entries, in nested objects, or as a value (with quotes and brackets) is no repeat.
    const fine = '[{"id": "id", "name": "a \\"id\\": {", "team": "id"},\n {"id": "u2", "name": "b"}]';
    expect(readRoster(file('e.json', fine))).toEqual([
      { id: 'id', name: 'a "id": {', attributes: { team: 'id' } },
      { id: 'u2', name: 'b' },
    ]);
  });

  it('strips control and bidirectional-override characters from names', () => {
    const users = readRoster(file('n.csv', 'id,name,timezone\nu1,"ann\nsmith",\nu2,\u202eevil\u202c bob\u0007,\n'));
    expect(users.map((u) => u.name)).toEqual(['ann smith', 'evil bob']);
  });
});
