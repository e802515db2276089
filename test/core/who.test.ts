import { describe, expect, it } from 'vitest';
import { resolveWho } from '../../src/core/who.js';
import { UsageError } from '../../src/errors.js';

const people = [
  { id: 'u01', name: 'Sam' },
  { id: 'u02', name: 'sam' },
  { id: 'u03', name: 'Alex' },
  { id: 'u04', name: 'ALEX' },
  { id: 'u05', name: 'Robin' },
];

describe('resolveWho', () => {
  it('takes an exact id or username over a case-insensitive one', () => {
    expect(resolveWho('sam', people)?.id).toBe('u02');
    expect(resolveWho('Sam', people)?.id).toBe('u01');
    expect(resolveWho('@sam', people)?.id).toBe('u02');
    expect(resolveWho('u01', people)?.id).toBe('u01');
    expect(resolveWho('<@u03>', people)?.id).toBe('u03');
  });

  it('takes a unique case-insensitive match', () => {
    expect(resolveWho('robin', people)?.id).toBe('u05');
    expect(resolveWho('@ROBIN', people)?.id).toBe('u05');
    expect(resolveWho('U05', people)?.id).toBe('u05');
  });

  it('refuses to guess between several case-insensitive matches, listing their ids', () => {
    expect(() => resolveWho('alex', people)).toThrow(UsageError);
    expect(() => resolveWho('alex', people)).toThrow(/"alex" matches 2 people: "Alex" \(id u03\), "ALEX" \(id u04\); give the id/);
    expect(() => resolveWho('SAM', people)).toThrow(/u01.*u02/);
  });

  it('refuses two people with the very same username', () => {
    expect(() =>
      resolveWho('kim', [
        { id: 'a', name: 'kim' },
        { id: 'b', name: 'kim' },
      ]),
    ).toThrow(/id a.*id b/);
  });

  it('finds nobody when nobody matches', () => {
    expect(resolveWho('zed', people)).toBeUndefined();
    expect(resolveWho('', people)).toBeUndefined();
  });
});
