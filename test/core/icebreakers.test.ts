import { describe, expect, it } from 'vitest';
import { BUILT_IN_ICEBREAKERS, chooseIcebreakers, parseIcebreakers, type GivenPrompt } from '../../src/core/icebreakers.js';
import { seededRandom } from '../../src/core/random.js';

const prompts = ['p1', 'p2', 'p3', 'p4', 'p5'];
const given = (...list: [string, number][]): GivenPrompt[] => list.map(([prompt, order]) => ({ prompt, order }));

describe('icebreakers', () => {
  it('has at least 40 distinct built-in prompts, each one line ending in a question mark or full stop', () => {
    expect(BUILT_IN_ICEBREAKERS.length).toBeGreaterThanOrEqual(40);
    expect(new Set(BUILT_IN_ICEBREAKERS).size).toBe(BUILT_IN_ICEBREAKERS.length);
    for (const p of BUILT_IN_ICEBREAKERS) expect(p).toMatch(/^[A-Z][^\n@]+[?.]$/);
  });

  it('reads a file one prompt a line, skipping blanks, comments and repeats', () => {
    expect(parseIcebreakers('\uFEFF# ours\nFirst?\r\n\n  Second?  \nFirst?\nthird\u0007x\n')).toEqual(['First?', 'Second?', 'third x']);
    expect(parseIcebreakers('# only a comment\n\n')).toEqual([]);
  });

  it('gives each group of a round its own prompt, none a member got recently', () => {
    const recent = new Map([
      ['a', given(['p1', 10], ['p2', 9])],
      ['c', given(['p3', 8])],
    ]);
    for (let seed = 0; seed < 50; seed++) {
      const chosen = chooseIcebreakers(
        prompts,
        [
          { id: 1, memberIds: ['a', 'b'] },
          { id: 2, memberIds: ['c', 'd'] },
        ],
        recent,
        seededRandom(seed),
      );
      expect(['p3', 'p4', 'p5']).toContain(chosen.get(1));
      expect(['p1', 'p2', 'p4', 'p5']).toContain(chosen.get(2));
      expect(chosen.get(1)).not.toBe(chosen.get(2));
    }
  });

  it('is the same for the same seed and varies with it', () => {
    const groups = [{ id: 1, memberIds: ['a', 'b'] }];
    const pick = (seed: number): string => chooseIcebreakers(BUILT_IN_ICEBREAKERS, groups, new Map(), seededRandom(seed)).get(1)!;
    expect(pick(7)).toBe(pick(7));
    expect(new Set(Array.from({ length: 20 }, (_, s) => pick(s))).size).toBeGreaterThan(5);
  });

  it('with too few prompts, takes the one its members got least recently', () => {
    const recent = new Map([
      ['a', given(['p1', 30], ['p2', 20], ['p3', 25])],
      ['b', given(['p2', 10], ['p4', 31], ['p5', 29])],
    ]);
    // Most recent per prompt across a and b: p1 30, p2 20, p3 25, p4 31, p5 29: p2 is the oldest.
    for (let seed = 0; seed < 20; seed++)
      expect(chooseIcebreakers(prompts, [{ id: 1, memberIds: ['a', 'b'] }], recent, seededRandom(seed)).get(1)).toBe('p2');
  });

  it('leaves out prompts other groups of the round already hold, and repeats only when there are more groups than prompts', () => {
    const chosen = chooseIcebreakers(
      ['x', 'y'],
      [1, 2, 3].map((id) => ({ id, memberIds: [`m${id}`] })),
      new Map(),
      seededRandom(1),
      ['x'],
    );
    expect(chosen.get(1)).toBe('y');
    expect(['x', 'y']).toContain(chosen.get(2));
    expect(chooseIcebreakers([], [{ id: 1, memberIds: ['a'] }], new Map(), seededRandom(1)).size).toBe(0);
  });

  it('with a small file, a member never gets a prompt they got recently just because another group of the round holds a fresher one', () => {
    // p3 is the only prompt neither member of either group got last round: both get it.
    const recent = new Map([
      ['x', given(['p1', 20], ['p2', 19])],
      ['y', given(['p2', 20])],
      ['a', given(['p1', 21])],
      ['b', given(['p2', 21])],
    ]);
    for (let seed = 0; seed < 20; seed++) {
      const chosen = chooseIcebreakers(
        ['p1', 'p2', 'p3'],
        [
          { id: 1, memberIds: ['x', 'y'] },
          { id: 2, memberIds: ['a', 'b'] },
        ],
        recent,
        seededRandom(seed),
      );
      expect([chosen.get(1), chosen.get(2)]).toEqual(['p3', 'p3']);
    }
  });

  it('spreads a round over the prompts: with more groups than prompts, each is used about as often', () => {
    const groups = Array.from({ length: 7 }, (_, i) => ({ id: i + 1, memberIds: [`m${i}`, `n${i}`] }));
    for (let seed = 0; seed < 20; seed++) {
      const counts = new Map<string, number>();
      for (const p of chooseIcebreakers(['x', 'y', 'z'], groups, new Map(), seededRandom(seed)).values())
        counts.set(p, (counts.get(p) ?? 0) + 1);
      expect([...counts.values()].sort()).toEqual([2, 2, 3]);
    }
  });

  it('copes with a file of 200,000 prompts', () => {
    const many = Array.from({ length: 200_000 }, (_, i) => `Prompt ${i}?`);
    const chosen = chooseIcebreakers(many, [{ id: 1, memberIds: ['a'] }], new Map([['a', given(['Prompt 0?', 1])]]), seededRandom(3));
    expect(chosen.get(1)).toMatch(/^Prompt [1-9]\d*\?$/);
  });
});
