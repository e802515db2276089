import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { MemberSummary } from '../../src/member-info.js';
import { useLocalSandbox } from '../helpers/sandbox.js';

interface Post {
  id: string;
  conversation: string;
  recipients: string[];
  text: string;
}

describe('what members and operators read (built CLI, local platform)', () => {
  const box = useLocalSandbox();
  const { pairbot, json } = box;
  const ok = async (...args: string[]) => {
    const r = await pairbot(...args);
    expect(r.code, `${args.join(' ')}\n${r.stderr}`).toBe(0);
    return r;
  };
  const posts = async (): Promise<Post[]> => (await json('local', 'messages')).posts;
  const roster = (rows: string) => writeFileSync(join(box.dir, 'roster.csv'), `id,name,timezone\n${rows}`);

  it('never tells members about an avoid nor promises a priority, and tells the operator on stderr and in status', async () => {
    roster('a,ann,\nb,bob,\nc,cat,\n');
    await ok('member', 'set', 'ann', '--avoid', 'bob');
    await ok('member', 'set', 'ann', '--avoid', 'cat');
    await ok('member', 'set', 'bob', '--avoid', 'cat');
    const r = await ok('pair', '--date', '2026-11-23');
    expect(r.stderr).toContain('warning: 3 members got no group in 2026-W48 because avoids leave them no possible partner: ann, bob, cat');
    const sent = await posts();
    expect(sent).toHaveLength(3);
    for (const p of sent) expect(p.text).not.toMatch(/asked not to|avoid|first in line|priority/i);
    const s = await json('status', '--date', '2026-11-24');
    expect(s.unpairable.map((m: { name: string }) => m.name)).toEqual(['ann', 'bob', 'cat']);
    expect(s.lastRound.unplaced).toHaveLength(3);
    const text = await ok('status', '--date', '2026-11-24');
    expect(text.stdout).toContain('3 left without a group by avoids: ann, bob, cat');
    expect(text.stdout).toMatch(/warning: +avoids rule out every other active member for ann, bob, cat/);
  });

  it('local react refuses a reaction from someone outside the post’s conversation, changing nothing', async () => {
    await ok('pair', '--date', '2026-11-23', '--seed', '7');
    const intro = (await posts())[0]!;
    const state = join(box.dir, 'data', 'local-state.db');
    const before = readFileSync(state, 'utf8');
    const outsider = ['u01', 'u02', 'u03', 'u04'].find((id) => !intro.recipients.includes(id))!;
    const r = await pairbot('local', 'react', intro.id, outsider, '✅');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`is not in the conversation of ${intro.id} \\(it went to .+\\), so cannot react on it`));
    expect(readFileSync(state, 'utf8')).toBe(before);
    await ok('local', 'react', intro.id, intro.recipients[0]!, '✅');
  });

  it('keeps names with commas, line breaks and bidi overrides from breaking messages and the members table', async () => {
    roster('a,"Smith, John",\nb,"ann\nlee",\nc,\u202eevil\u202c,\nd,dan,\n');
    await ok('pair', '--date', '2026-11-23', '--seed', '1');
    const table = (await ok('members', '--date', '2026-11-24')).stdout;
    expect(table.trimEnd().split('\n')).toHaveLength(5);
    expect(table).toMatch(/^ann lee +b +active/m);
    expect(table).not.toMatch(/[\u202a-\u202e]/);
    const all = JSON.stringify(await posts());
    expect(all).not.toMatch(/[\u202a-\u202e\u2066-\u2069]/);
    const toSmith = (await posts()).find((p) => p.recipients.includes('a'))!;
    expect(toSmith.text).toContain('@"Smith, John"');
    const { members } = (await json('members', '--date', '2026-11-24')) as { members: MemberSummary[] };
    const partnerOfSmith = members.find((m) => m.id !== 'a' && m.lastPartners.some((p) => p.id === 'a'))!;
    expect(table).toMatch(new RegExp(`^${partnerOfSmith.name} .*"Smith, John" \\(2026-11-23\\)$`, 'm'));
  });

  it('dry runs say "would", in tenses that agree', async () => {
    const pair = await ok('pair', '--dry-run', '--date', '2026-11-23');
    expect(pair.stderr).toContain('13 would join, 0 would rejoin, 0 would leave');
    expect(pair.stderr).not.toMatch(/\d+ joined/);
    await ok('pair', '--date', '2026-11-23');
    expect((await ok('collect-feedback', '--dry-run', '--date', '2026-11-26')).stdout).toContain(
      'would ask 6 new groups and remind 0 groups.',
    );
    expect((await ok('collect-feedback', '--date', '2026-11-26')).stdout).toContain('asked 6 new groups and reminded 0 groups.');
    expect((await ok('prune', '--dry-run', '--date', '2026-11-30')).stdout).toContain('nobody would be removed.');
  });

  it('warns when PAIRBOT_ATTRIBUTE_RULE names a column nobody has, listing the roster’s columns', async () => {
    box.env.PAIRBOT_ATTRIBUTE_RULE = 'mix:nosuchcol';
    const r = await ok('pair', '--dry-run', '--date', '2026-11-23');
    expect(r.stderr).toContain(
      'warning: PAIRBOT_ATTRIBUTE_RULE: no member has a "nosuchcol" value, so mix:nosuchcol changes nothing; the roster\'s columns are team',
    );
    box.env.PAIRBOT_ATTRIBUTE_RULE = 'mix:team';
    expect((await ok('pair', '--dry-run', '--date', '2026-11-23')).stderr).not.toContain('PAIRBOT_ATTRIBUTE_RULE');
  });
});
