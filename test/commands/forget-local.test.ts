import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { LocalPost } from '../../src/platforms/local.js';
import { useLocalSandbox } from '../helpers/sandbox.js';

/**
 * Deleting messages (forget, retention) must not make later ones look delivered: the local
 * platform remembers every message key for good, so a key used again names an old post.
 */
describe('messages after a deletion (built CLI, local platform)', () => {
  const box = useLocalSandbox();
  const posts = async (): Promise<LocalPost[]> => (await box.json('local', 'messages')).posts;
  const intros = async (): Promise<LocalPost[]> => (await posts()).filter((p) => p.text.startsWith('👋'));

  it('member forget deletes the newest messages, and the next round still posts every intro', async () => {
    for (const text of ['me', 'history']) expect((await box.pairbot('local', 'say', 'dave', text, '--date', '2026-11-22')).code).toBe(0);
    expect((await box.pairbot('inbox', '--date', '2026-11-22')).code).toBe(0);
    expect((await box.pairbot('member', 'forget', 'dave', '--date', '2026-11-22')).code).toBe(0);
    const round = await box.json('pair', '--date', '2026-11-23', '--seed', '7');
    expect(round.groups).toHaveLength(6);
    expect(await intros()).toHaveLength(6);
  });

  it("forgetting someone after the round's intros leaves their partner alone, not introduced again to nobody", async () => {
    expect((await box.pairbot('pair', '--date', '2026-11-23', '--seed', '7')).code).toBe(0);
    expect((await box.pairbot('member', 'forget', 'dave', '--date', '2026-11-23')).code).toBe(0);
    expect((await box.pairbot('pair', '--date', '2026-11-23')).code).toBe(0);
    const sent = await intros();
    expect(sent).toHaveLength(6);
    expect(sent.every((p) => p.recipients.length >= 2)).toBe(true);
  });

  it('forget me confirm is answered, and so is everyone after it', async () => {
    for (const [who, text] of [
      ['dave', 'forget me'],
      ['dave', 'forget me confirm'],
      ['bob', 'me'],
    ] as const)
      expect((await box.pairbot('local', 'say', who, text, '--date', '2026-11-22')).code).toBe(0);
    expect((await box.pairbot('inbox', '--date', '2026-11-22')).code).toBe(0);
    const replies = (await posts()).filter((p) => p.from === undefined).map((p) => p.text);
    expect(replies.some((t) => t.startsWith('Done: everything I stored about you is deleted.'))).toBe(true);
    expect(replies.some((t) => t.startsWith('You are in the program'))).toBe(true);
  });

  it('a database started afresh beside the old local state still posts its intros', async () => {
    expect((await box.pairbot('pair', '--date', '2026-11-23', '--seed', '7')).code).toBe(0);
    expect(await intros()).toHaveLength(6);
    rmSync(join(box.dir, 'data', 'pairbot.db'));
    expect((await box.pairbot('pair', '--date', '2026-11-30', '--seed', '3')).code).toBe(0);
    expect(await intros()).toHaveLength(12);
  });
});
