import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUILT_IN_ICEBREAKERS } from '../../src/core/icebreakers.js';
import { useLocalSandbox } from '../helpers/sandbox.js';

interface Post {
  recipients: string[];
  text: string;
}

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const ICE = /^💬 \*\*To break the ice:\*\* (.*)$/m;

describe('what members receive on the local platform (built CLI)', () => {
  const box = useLocalSandbox();
  const { pairbot } = box;
  const posts = async (): Promise<Post[]> => ((await box.json('local', 'messages')) as { posts: Post[] }).posts;
  const promptOf = (p: Post): string | undefined => ICE.exec(p.text)?.[1];

  it('intros carry a meeting-time hint and a built-in prompt, different for each group', async () => {
    expect((await pairbot('pair', '--date', '2026-11-23', '--seed', '7')).code).toBe(0);
    const intros = await posts();
    expect(intros).toHaveLength(6);
    const prompts = intros.map(promptOf);
    for (const p of prompts) expect(BUILT_IN_ICEBREAKERS).toContain(p);
    expect(new Set(prompts).size).toBe(6);
    const bobAndMallory = intros.find((p) => p.recipients.includes('u02') && p.recipients.includes('u11'))!;
    expect(bobAndMallory.text).toContain(
      '🕒 **When to meet:** your working hours (09:00–18:00) overlap for 7 h: @bob Mon–Fri 09:00–16:00 (UTC−5) and @mallory Mon–Fri 11:00–18:00 (UTC−3).',
    );
    // README shows this intro as members read it: it must stay true.
    const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
    const shown = /bob and mallory\nread:\n\n```text\n([\s\S]*?)\n```/.exec(readme)?.[1];
    expect(shown).toBe(bobAndMallory.text);
  });

  it('with a file of three prompts, a round spreads over all three and nobody gets the prompt of their previous round', async () => {
    writeFileSync(join(box.dir, 'prompts.txt'), 'Red?\nGreen?\nBlue?\n');
    box.env.PAIRBOT_ICEBREAKERS = 'prompts.txt';
    box.writeRoster(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']);
    const byMember = new Map<string, string[]>();
    let before = 0;
    for (let week = 0; week < 6; week++) {
      const date = new Date(Date.UTC(2026, 10, 23 + 7 * week)).toISOString().slice(0, 10);
      const r = await pairbot('pair', '--date', date, '--seed', String(40 + week));
      expect(r.code, r.stderr).toBe(0);
      const round = (await posts()).slice(before);
      before += round.length;
      expect(round).toHaveLength(4);
      const prompts = round.map((p) => promptOf(p)!);
      // Four groups, three prompts nobody got yet: each prompt is used, one of them twice.
      if (week === 0) expect([...new Set(prompts)]).toHaveLength(3);
      round.forEach((p, i) => {
        for (const id of p.recipients) byMember.set(id, [...(byMember.get(id) ?? []), prompts[i]!]);
      });
    }
    for (const [id, list] of byMember) {
      expect(list, id).toHaveLength(6);
      for (let i = 1; i < list.length; i++) expect(list[i], `${id} got ${list.join(', ')}`).not.toBe(list[i - 1]);
    }
  });

  it('no member gets the same prompt twice in ten rounds, and a replayed seed gives the same prompts', async () => {
    writeFileSync(
      join(box.dir, 'prompts.txt'),
      `# twelve prompts\n${Array.from({ length: 12 }, (_, i) => `Prompt number ${i + 1}?`).join('\n')}\n`,
    );
    box.env.PAIRBOT_ICEBREAKERS = 'prompts.txt';
    box.writeRoster(['a', 'b', 'c', 'd']);
    const seen = new Map<string, string[]>();
    for (let week = 0; week < 10; week++) {
      const date = new Date(Date.UTC(2026, 10, 23 + 7 * week)).toISOString().slice(0, 10);
      const r = await pairbot('pair', '--date', date, '--seed', String(100 + week));
      expect(r.code, r.stderr).toBe(0);
    }
    for (const p of await posts()) {
      const prompt = promptOf(p);
      expect(prompt).toMatch(/^Prompt number \d+\?$/);
      for (const id of p.recipients) seen.set(id, [...(seen.get(id) ?? []), prompt!]);
    }
    for (const [id, list] of seen) {
      expect(list, id).toHaveLength(10);
      expect(new Set(list).size, `${id} got ${list.join(', ')}`).toBe(10);
    }
    // The same round, formed again from the same seed in another database, carries the same prompts.
    const first = (await posts()).slice(0, 2).map(promptOf);
    box.env.PAIRBOT_DB = join(box.dir, 'other.db');
    box.env.PAIRBOT_LOCAL_STATE = join(box.dir, 'other-state.json');
    expect((await pairbot('pair', '--date', '2026-11-23', '--seed', '100')).code).toBe(0);
    expect((await posts()).map(promptOf)).toEqual(first);
  });

  it('PAIRBOT_ICEBREAKERS=off sends intros without a prompt; an unreadable or empty file is exit 2 before anything is written', async () => {
    box.env.PAIRBOT_ICEBREAKERS = 'missing.txt';
    const missing = await pairbot('pair', '--date', '2026-11-23');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/PAIRBOT_ICEBREAKERS: cannot read .*missing\.txt/);
    writeFileSync(join(box.dir, 'empty.txt'), '# nothing yet\n\n');
    box.env.PAIRBOT_ICEBREAKERS = 'empty.txt';
    const empty = await pairbot('pair', '--date', '2026-11-23');
    expect(empty.code).toBe(2);
    expect(empty.stderr).toMatch(/PAIRBOT_ICEBREAKERS: .*empty\.txt .*holds no prompt/);
    box.env.PAIRBOT_ICEBREAKERS = 'off';
    expect((await pairbot('pair', '--date', '2026-11-23')).code).toBe(0);
    const intros = await posts();
    expect(intros).toHaveLength(6);
    for (const p of intros) expect(p.text).not.toMatch(/break the ice/);
  });

  it('a prompt cannot ping anyone', async () => {
    writeFileSync(join(box.dir, 'prompts.txt'), 'Hey @everyone and @here, <@&123456789012345678>?\n');
    box.env.PAIRBOT_ICEBREAKERS = 'prompts.txt';
    expect((await pairbot('pair', '--date', '2026-11-23')).code).toBe(0);
    for (const p of await posts()) expect(p.text).not.toMatch(/@(everyone|here)\b|<@&/);
  });

  it('PAIRBOT_TEMPLATES_DIR replaces a built-in text; an unknown file or placeholder is exit 2 naming both, before anything is written', async () => {
    const dir = join(box.dir, 'templates');
    mkdirSync(dir);
    box.env.PAIRBOT_TEMPLATES_DIR = 'templates';
    writeFileSync(join(dir, 'intro.md'), 'Hello {{members}}! Round {{round}} @channel.\n{{meeting_time}}\nAsk: {{icebreaker}}\n');
    writeFileSync(join(dir, 'into.md'), 'typo');
    const unknownFile = await pairbot('pair', '--date', '2026-11-23');
    expect(unknownFile.code).toBe(2);
    expect(unknownFile.stderr).toMatch(
      /PAIRBOT_TEMPLATES_DIR: .*into\.md is not a template; the templates are intro\.md, sit-out\.md, optout\.md, feedback\.md, removed\.md, unreachable\.md, inbox-help\.md/,
    );
    rmSync(join(dir, 'into.md'));
    writeFileSync(join(dir, 'feedback.md'), '{{members}}: did you meet {{partner_name}}?');
    const unknownPlaceholder = await pairbot('optout', '--date', '2026-11-21');
    expect(unknownPlaceholder.code).toBe(2);
    expect(unknownPlaceholder.stderr).toMatch(
      /feedback\.md uses the placeholder \{\{partner_name\}\}, which this message does not have; its placeholders are \{\{opening\}\}/,
    );
    expect(existsSync(join(box.dir, 'data'))).toBe(false);
    rmSync(join(dir, 'feedback.md'));

    expect((await pairbot('pair', '--date', '2026-11-23', '--seed', '7')).code).toBe(0);
    const intros = await posts();
    expect(intros).toHaveLength(6);
    const olivia = intros.find((p) => p.recipients.includes('u13'))!;
    // No line for a placeholder with nothing to say: dave and olivia have one known time zone between them.
    expect(olivia.text).toMatch(/^Hello @dave and @olivia! Round 2026-W48 @\u200bchannel\.\nAsk: \S.*$/);
    const bob = intros.find((p) => p.recipients.includes('u02'))!;
    expect(bob.text.split('\n')[1]).toMatch(/^your working hours \(09:00–18:00\) overlap for 7 h: @bob/);
  });
});
