import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ChatPlatform, PostRef, ReactionToken } from '../../src/platforms/types.js';

/** What a platform's test harness provides to the shared contract suite. */
export interface ContractHarness {
  platform: ChatPlatform;
  /** Ids of at least four program members, as the platform should list them. */
  memberIds: string[];
  /** Username of memberIds[0], as findUser should accept it. */
  firstMemberName: string;
  /** Makes a member react to a post with the platform's emoji for a token, the way a person would in the client. */
  react(post: PostRef, userId: string, token: ReactionToken): Promise<void>;
  cleanup(): Promise<void>;
}

/**
 * The contract every ChatPlatform adapter passes (local, Mattermost, Discord):
 * one suite, run against each adapter with its own harness.
 */
export function runPlatformContract(name: string, makeHarness: () => Promise<ContractHarness>): void {
  describe(`ChatPlatform contract: ${name}`, () => {
    let h: ContractHarness;
    beforeEach(async () => {
      h = await makeHarness();
    });
    afterEach(async () => {
      await h.platform.close();
      await h.cleanup();
    });

    it('connects and lists exactly the program members, never the bot', async () => {
      const { botUserId } = await h.platform.connect();
      expect(botUserId).toBeTruthy();
      const members = await h.platform.listMembers();
      const ids = members.map((m) => m.id);
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids).not.toContain(botUserId);
      expect([...ids].sort()).toEqual([...h.memberIds].sort());
      for (const m of members) expect(m.name).toBeTruthy();
    });

    it('finds a user by id, username and @username', async () => {
      await h.platform.connect();
      const id = h.memberIds[0]!;
      expect((await h.platform.findUser(id))?.id).toBe(id);
      expect((await h.platform.findUser(h.firstMemberName))?.id).toBe(id);
      expect((await h.platform.findUser(`@${h.firstMemberName}`))?.id).toBe(id);
      expect(await h.platform.findUser('nobody-by-this-name')).toBeUndefined();
    });

    it('posts to the channel, adds its own reactions (twice is once), which readReactions ignores', async () => {
      await h.platform.connect();
      const post = await h.platform.postToChannel({ text: 'Pairing on Monday; react ❌ to skip' });
      await h.platform.addReactions(post, ['cross']);
      await h.platform.addReactions(post, ['cross']);
      expect(post.id).toBeTruthy();
      expect(await h.platform.readReactions(post)).toEqual([]);
      await h.react(post, h.memberIds[1]!, 'cross');
      expect(await h.platform.readReactions(post)).toEqual([{ userId: h.memberIds[1], token: 'cross' }]);
    });

    it('delivers a group message to every member exactly once and reads answers per member', async () => {
      await h.platform.connect();
      const group = h.memberIds.slice(0, 2);
      const delivered: string[] = [];
      const posts: PostRef[] = [];
      const result = await h.platform.sendToGroup({ memberIds: group, text: 'Did you meet?' }, new Set(), (ids, post) => {
        delivered.push(...ids);
        posts.push(post);
      });
      for (const p of posts) await h.platform.addReactions(p, ['check', 'cross', 'calendar']);
      expect(result.unreachable).toEqual([]);
      expect([...delivered].sort()).toEqual([...group].sort());
      for (const p of posts) expect(await h.platform.readReactions(p)).toEqual([]);
      await h.react(posts[0]!, group[0]!, 'check');
      await h.react(posts[posts.length - 1]!, group[1]!, 'cross');
      const answers = (await Promise.all(posts.map((p) => h.platform.readReactions(p)))).flat();
      expect(answers).toContainEqual({ userId: group[0], token: 'check' });
      expect(answers).toContainEqual({ userId: group[1], token: 'cross' });
    });

    it('skips members already delivered, so a retried message is never sent twice', async () => {
      await h.platform.connect();
      const group = h.memberIds.slice(0, 3);
      const calls: string[][] = [];
      await h.platform.sendToGroup({ memberIds: group, text: 'hello' }, new Set(group), (ids) => calls.push([...ids]));
      expect(calls).toEqual([]);
    });

    it('mentions a user in a way that names them and cannot ping everyone', async () => {
      const mention = h.platform.mention({ id: h.memberIds[0]!, name: 'everyone' });
      expect(mention).not.toMatch(/@everyone\b|@here\b|@channel\b|@all\b/);
    });

    it('removes a member, or says it may not', async () => {
      await h.platform.connect();
      const outcome = await h.platform.removeMember(h.memberIds[3]!);
      expect(['removed', 'not-permitted']).toContain(outcome);
      const ids = (await h.platform.listMembers()).map((m) => m.id);
      if (outcome === 'removed') expect(ids).not.toContain(h.memberIds[3]);
      else expect(ids).toContain(h.memberIds[3]);
    });
  });
}
