import { basename, dirname, join } from 'node:path';
import { DEFAULT_LOCAL_STATE, type Config } from '../config.js';
import { unusableFile } from '../files.js';
import { listItem, neutraliseMentions } from '../core/messages.js';
import { resolveWho } from '../core/who.js';
import { LocalStateStore, type LocalPost } from '../store/local-state.js';
import { DeliveryStoppedError, isDatabaseBusy, PairbotError, PlatformError, StoreError } from '../errors.js';
import { readRoster } from './roster.js';
import { membersReactions, PeopleNames, postKey, SetupChecks } from './api-calls.js';
import type {
  ChannelMessage,
  SetupCheck,
  ChatPlatform,
  DeliveryRecorder,
  GroupDeliveryResult,
  GroupMessage,
  InboxBatch,
  InboxReply,
  InboxRequest,
  NameLookup,
  PlaceChange,
  PlatformUser,
  PostRef,
  ReactionRecord,
  ReactionToken,
  DeliveryForm,
} from './types.js';

/**
 * The embedded platform: the roster is a file, and every post, DM and reaction
 * lives in a SQLite state file of its own, so each flow can be run and inspected without a server.
 */

const LOCAL_BOT_ID = 'pairbot';
export const CHANNEL = 'channel';

export type { LocalPost } from '../store/local-state.js';

/** Emoji names the local platform understands, with the unicode and :name: forms. */
const EMOJI_ALIASES: Record<string, string> = {
  '❌': 'x',
  x: 'x',
  '✅': 'white_check_mark',
  white_check_mark: 'white_check_mark',
  '📅': 'calendar',
  calendar: 'calendar',
  // Mattermost's name for 📅.
  date: 'calendar',
};

export function normaliseEmoji(emoji: string): string | undefined {
  return EMOJI_ALIASES[emoji.replace(/^:|:$/g, '').replace(/\uFE0F/g, '')];
}

/** The emoji name the state keeps for each reaction token (what a token means: src/core/reactions.ts). */
const EMOJI_OF: Record<ReactionToken, string> = { cross: 'x', check: 'white_check_mark', calendar: 'calendar' };
const TOKEN_OF: Record<string, ReactionToken> = { x: 'cross', white_check_mark: 'check', calendar: 'calendar' };

/** Where earlier versions kept their JSON state, beside the database. */
const LEGACY_STATE_FILE = 'local-state.json';

/** `writes`: the run may write (see LocalStateStore). */
export function createLocalPlatform(config: Pick<Config, 'roster' | 'localState'>, writes = false): LocalPlatform {
  // The JSON state of an earlier version, at the old default place, is converted on the first write.
  const legacy = basename(config.localState) === DEFAULT_LOCAL_STATE ? join(dirname(config.localState), LEGACY_STATE_FILE) : undefined;
  return new LocalPlatform(config.roster, new LocalStateStore(config.localState, legacy, writes));
}

/** `@pairbot` anywhere, as a word. */
function mentionsBot(text: string): boolean {
  return new RegExp(`(^|[^\\w@.-])@${LOCAL_BOT_ID}(?![\\w.-])`, 'i').test(text);
}

export class LocalPlatform implements ChatPlatform {
  readonly kind = 'local' as const;
  /** Every key is kept in the state file for good: a message sent again under its key is found, not posted again. */
  readonly remembersKeys = true;
  private roster?: PlatformUser[];
  /** The roster's ids, built once: a round asks for every one of its 50,000 messages. */
  private rosterIds?: Set<string>;
  /** Someone gone from the roster file is named as the program knew them. */
  private readonly names = new PeopleNames(() => undefined);

  constructor(
    private readonly rosterPath: string,
    readonly state: LocalStateStore,
  ) {}

  useProgramNames(lookup: NameLookup): void {
    this.names.useProgramNames(lookup);
  }

  async connect(): Promise<{ botUserId: string }> {
    this.allUsers();
    return { botUserId: LOCAL_BOT_ID };
  }

  /** Every roster entry, including members removed from the program. */
  allUsers(): PlatformUser[] {
    this.roster ??= readRoster(this.rosterPath);
    return this.roster;
  }

  async checkSetup(): Promise<SetupCheck[]> {
    const checks = new SetupChecks();
    let users: PlatformUser[];
    try {
      users = this.allUsers();
    } catch (err) {
      return checks.fail(
        'roster readable',
        (err as Error).message,
        'set PAIRBOT_ROSTER to a CSV (id,name[,timezone,…]) or JSON roster file this user can read; see examples/roster.csv',
      );
    }
    checks.pass('roster readable', `${this.rosterPath}: ${users.length} people`);
    const unusable = unusableFile('PAIRBOT_LOCAL_STATE', this.state.path);
    if (unusable) return checks.fail('local state usable', unusable.detail, unusable.fix);
    try {
      this.state.removed();
    } catch (err) {
      // Not a permission problem (unusableFile says those): the file is damaged or not the local state.
      return checks.fail(
        'local state usable',
        (err as Error).message,
        `restore ${this.state.path} from a backup; without one, move it aside and the next run starts a new one (the local posts and reactions in it are lost), or point PAIRBOT_LOCAL_STATE at the right file`,
      );
    }
    checks.pass('local state usable', this.state.path);
    return checks.list;
  }

  async listMembers(): Promise<PlatformUser[]> {
    const removed = new Set(this.state.removed());
    return this.allUsers().filter((u) => !removed.has(u.id));
  }

  async findUser(who: string): Promise<PlatformUser | undefined> {
    return resolveWho(who, this.allUsers());
  }

  deliveryForm(): DeliveryForm {
    return 'shared';
  }

  mention(user: Pick<PlatformUser, 'id' | 'name'>): string {
    return neutraliseMentions(`@${listItem(user.name)}`);
  }

  async postToChannel(message: ChannelMessage): Promise<PostRef> {
    return this.post(CHANNEL, [], message);
  }

  /**
   * One post in the group's conversation. Someone no longer in the roster file (their
   * account gone, as a deactivated one on a server) cannot be reached: returned with the
   * reason, and the post goes to the rest.
   */
  async sendToGroup(message: GroupMessage, alreadyDelivered: ReadonlySet<string>, record: DeliveryRecorder): Promise<GroupDeliveryResult> {
    const inRoster = (this.rosterIds ??= new Set(this.allUsers().map((u) => u.id)));
    const pending = message.memberIds.filter((id) => !alreadyDelivered.has(id));
    const unreachable = pending
      .filter((id) => !inRoster.has(id))
      .map((userId) => ({ userId, reason: `${this.names.describe(userId)} is no longer in the roster ${basename(this.rosterPath)}` }));
    const reachable = pending.filter((id) => inRoster.has(id));
    if (reachable.length === 0) return { unreachable };
    const conversation = `group:${[...message.memberIds].sort().join(',')}`;
    const ref = this.post(
      conversation,
      message.memberIds.filter((id) => inRoster.has(id)),
      message,
    );
    record(reachable, ref);
    return { unreachable };
  }

  async readReactions(post: PostRef): Promise<ReactionRecord[]> {
    const found = this.state.findPost(post.id);
    if (!found) return [];
    return membersReactions(found.reactions, LOCAL_BOT_ID, (emoji) => TOKEN_OF[emoji]);
  }

  async addReactions(post: PostRef, tokens: readonly ReactionToken[]): Promise<void> {
    const found = this.state.findPost(post.id);
    if (!found) return;
    for (const emoji of new Set(tokens.map((t) => EMOJI_OF[t]))) {
      if (!found.reactions.some((r) => r.userId === LOCAL_BOT_ID && r.emoji === emoji)) {
        try {
          this.state.setReaction(post.id, LOCAL_BOT_ID, emoji, true);
        } catch (err) {
          throw this.stateFault(err);
        }
      }
    }
  }

  async removeMember(userId: string): Promise<'removed'> {
    try {
      this.state.setRemoved(userId, true);
    } catch (err) {
      throw this.stateFault(err);
    }
    return 'removed';
  }

  /**
   * Back in the local channel (as `local rejoin`). Someone the roster file no longer lists left
   * it for good as far as pairbot can tell: only whoever edits the file can put them back.
   */
  async addMember(userId: string): Promise<PlaceChange> {
    if (!this.allUsers().some((u) => u.id === userId)) return 'not-permitted';
    try {
      this.state.setRemoved(userId, false);
    } catch (err) {
      throw this.stateFault(err);
    }
    return 'done';
  }

  place(): { name: string; joinHowTo: string; leaveHowTo: string } {
    return { name: 'the local channel', joinHowTo: '', leaveHowTo: '' };
  }

  async holdsRole(): Promise<boolean> {
    return false;
  }

  /** What members wrote (`local say`) after each conversation's cursor: the number of the last post read there. */
  async readMessagesToBot(request: InboxRequest): Promise<InboxBatch> {
    const users = new Map(this.allUsers().map((u) => [u.id, u]));
    const seq = (id: string): number => Number(id.replace(/^p/, ''));
    const cursors = new Map<string, string>();
    const messages: InboxBatch['messages'] = [];
    for (const p of this.state.writtenByMembers()) {
      const cursor = request.cursors.get(p.conversation);
      if (cursor !== undefined && seq(p.id) <= Number(cursor)) continue;
      cursors.set(p.conversation, p.id.replace(/^p/, ''));
      const dm = p.conversation.startsWith('dm:');
      messages.push({
        id: p.id,
        conversationId: p.conversation,
        shared: !dm,
        toBot: dm || mentionsBot(p.text),
        fromId: p.from!,
        fromName: users.get(p.from!)?.name ?? p.from!,
        fromBot: false,
        text: p.text,
        at: p.at,
      });
    }
    return { messages, cursors, bot: { id: LOCAL_BOT_ID, name: LOCAL_BOT_ID } };
  }

  async replyInConversation(reply: InboxReply): Promise<PostRef> {
    const recipients =
      reply.conversationId === CHANNEL
        ? []
        : reply.conversationId.startsWith('dm:')
          ? [reply.to]
          : reply.conversationId.replace(/^group:/, '').split(',');
    return this.post(reply.conversationId, recipients, reply);
  }

  /** A member writes: to the bot directly (`dm:<id>`), or in the channel or a group conversation. */
  say(from: string, conversation: string, recipients: string[], text: string, at: Date): PostRef {
    const stored = this.state.addPost({ from, conversation, recipients, text, at: at.toISOString(), reactions: [] });
    return { id: stored.id, conversationId: stored.conversation };
  }

  async close(): Promise<void> {
    this.state.close();
  }

  /** The bot's posts since the last call are in the state file (they are written a batch at a time). */
  commitSends(): void {
    try {
      this.state.commitPosts();
    } catch (err) {
      // The posts were not kept, so their messages stay pending: partly delivered (exit 3), as a fault mid-delivery is.
      if (err instanceof StoreError) throw new DeliveryStoppedError(err.message, { cause: err });
      throw err;
    }
  }

  /**
   * A retry with the key of a message stored before gets that post back: nothing is posted
   * twice. Held until commitSends (or any other write, or close).
   */
  private post(conversation: string, recipients: string[], message: ChannelMessage): PostRef {
    let stored: LocalPost;
    try {
      stored = this.state.addHeldPost({
        // The message's key with its conversation and text (postKey): another database's message 1 is not this one.
        key: message.key === undefined ? undefined : `${message.key}:${postKey(message.key, conversation, message.text)}`,
        conversation,
        recipients,
        text: message.text,
        at: new Date().toISOString(),
        reactions: [],
      });
    } catch (err) {
      throw this.stateFault(err);
    }
    return { id: stored.id, conversationId: stored.conversation };
  }

  /**
   * The state file kept locked past the busy timeout by another process (another pairbot run, a
   * `local` command) is the local platform not answering: a transient fault, so what was being
   * sent stays pending for the next run, as with a server that times out. A state file that
   * cannot be written (removed, made read-only or unwritable, its disk full since the run was
   * checked) is the platform refusing: the delivery stops, what is not sent stays pending (exit 3).
   */
  private stateFault(err: unknown): unknown {
    if (err instanceof PlatformError) return err;
    if (!(err instanceof StoreError) || !isDatabaseBusy(err.cause)) {
      const code = (err as { code?: unknown } | null)?.code;
      // Anything else (a bug) is reported as it is.
      if (!(err instanceof PairbotError) && typeof code !== 'string') return err;
      const why = (err as Error).message;
      const setting = why.includes('PAIRBOT_LOCAL_STATE') ? '' : ' (PAIRBOT_LOCAL_STATE)';
      return new PlatformError('local', `the local state file ${this.state.path}${setting} cannot be written (${why})`, {
        cause: err,
        transient: false,
      });
    }
    return new PlatformError(
      'local',
      `the local state file ${this.state.path} stayed locked by another process (another pairbot run or a \`local\` command)`,
      {
        cause: err,
        transient: true,
      },
    );
  }
}
