import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ChatPlatform, PostRef, ReactionToken } from '../../src/platforms/types.js';

/** Ways a member can become impossible to message, as each platform has them. */
type UnreachableWay = 'deactivated' | 'dms-closed' | 'gone-from-roster';

/** Faults that a later attempt in the same run gets past. */
type TransientFault = 'http-503' | 'http-429' | 'state-locked';

/** What the platform offers beyond the common contract, decided before any harness is made. */
export interface ContractOptions {
  unreachable: readonly UnreachableWay[];
  transient: readonly TransientFault[];
}

/** What a platform's test harness provides to the shared contract suite. */
export interface ContractHarness {
  platform: ChatPlatform;
  /** Ids of at least four program members, as the platform should list them. */
  memberIds: string[];
  /** Username of memberIds[0], as findUser should accept it. */
  firstMemberName: string;
  /** Makes a member react to a post with the platform's emoji for a token, the way a person would in the client. */
  react(post: PostRef, userId: string, token: ReactionToken): Promise<void>;
  /** Makes a member impossible to message, in one of the ways listed in the options. */
  makeUnreachable(userId: string, way: UnreachableWay): Promise<void>;
  /** Makes the next `times` attempts to create a message meet this fault. */
  injectTransient(fault: TransientFault, times: number): Promise<void>;
  /** Moves the platform's clock on so it has forgotten the de-duplication keys it was sent (no-op where it never forgets). */
  forgetKeys(): void;
  cleanup(): Promise<void>;
}

/**
 * The contract every ChatPlatform adapter passes (local, Mattermost, Discord):
 * one suite, run against each adapter with its own harness.
 */
export function runPlatformContract(name: string, options: ContractOptions, makeHarness: () => Promise<ContractHarness>): void {
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

    it.each(options.unreachable)(
      'returns a member who cannot be messaged (%s) as unreachable, with the reason, and delivers to the rest once',
      async (way) => {
        const group = h.memberIds.slice(0, 3);
        const gone = group[2]!;
        await h.makeUnreachable(gone, way);
        await h.platform.connect();
        // A run reads the roster first; the group was formed by an earlier run.
        await h.platform.listMembers();
        const delivered: string[] = [];
        const result = await h.platform.sendToGroup(
          { memberIds: group, text: 'Meet your group', key: 'contract-unreachable' },
          new Set(),
          (ids) => delivered.push(...ids),
        );
        expect(result.unreachable.map((u) => u.userId)).toEqual([gone]);
        expect(result.unreachable[0]!.reason).toBeTruthy();
        expect([...delivered].sort()).toEqual(group.slice(0, 2).sort());
        // The next run, the reachable members recorded: nothing is sent again, the member is still unreachable.
        const again: string[] = [];
        const retried = await h.platform.sendToGroup(
          { memberIds: group, text: 'Meet your group', key: 'contract-unreachable' },
          new Set(delivered),
          (ids) => again.push(...ids),
        );
        expect(again).toEqual([]);
        expect(retried.unreachable.map((u) => u.userId)).toEqual([gone]);
      },
    );

    it('posts one message for a key sent twice (a run killed before recording it), also once the platform forgot the key', async () => {
      await h.platform.connect();
      const startedAt = new Date().toISOString();
      const announcement = { text: 'Pairing on Monday; react ❌ to skip', key: 'contract-key-1' };
      const first = await h.platform.postToChannel(announcement);
      expect(await h.platform.postToChannel(announcement)).toEqual(first);
      const group = h.memberIds.slice(0, 2);
      const message = { memberIds: group, text: 'Meet your partner', key: 'contract-key-2' };
      const sent: PostRef[][] = [[], [], []];
      for (const attempt of [0, 1]) await h.platform.sendToGroup(message, new Set(), (_, post) => sent[attempt]!.push(post));
      expect(sent[1]).toEqual(sent[0]);
      // An hour later the platform has forgotten the key: the adapter finds the message it made instead.
      h.forgetKeys();
      expect(await h.platform.postToChannel({ ...announcement, uncertainSince: startedAt })).toEqual(first);
      await h.platform.sendToGroup({ ...message, uncertainSince: startedAt }, new Set(), (_, post) => sent[2]!.push(post));
      expect(sent[2]).toEqual(sent[0]);
      if (h.platform.remembersKeys) {
        // Where the platform says it remembers keys, delivery sends again with no intent recorded (no uncertainSince).
        expect(await h.platform.postToChannel(announcement)).toEqual(first);
        const again: PostRef[] = [];
        await h.platform.sendToGroup(message, new Set(), (_, post) => again.push(post));
        expect(again).toEqual(sent[0]);
      }
    });

    it.each(options.transient)('gets past a transient fault (%s) within the run, sending each message once', async (fault) => {
      await h.platform.connect();
      await h.injectTransient(fault, 2);
      const first = await h.platform.postToChannel({ text: 'Pairing on Monday', key: 'contract-transient-1' });
      expect(await h.platform.postToChannel({ text: 'Pairing on Monday', key: 'contract-transient-1' })).toEqual(first);
      await h.injectTransient(fault, 2);
      const group = h.memberIds.slice(0, 2);
      const delivered: string[] = [];
      const result = await h.platform.sendToGroup(
        { memberIds: group, text: 'Meet your partner', key: 'contract-transient-2' },
        new Set(),
        (ids) => delivered.push(...ids),
      );
      expect(result.unreachable).toEqual([]);
      expect([...delivered].sort()).toEqual([...group].sort());
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
