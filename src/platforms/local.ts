import { existsSync, readFileSync } from 'node:fs';
import { UsageError } from '../errors.js';
import { writeFileAtomic } from '../files.js';
import type { Config } from '../config.js';
import { listItem, neutraliseMentions } from '../core/messages.js';
import { resolveWho } from '../core/who.js';
import { readRoster } from './roster.js';
import type { ChatPlatform, DeliveryRecorder, GroupDeliveryResult, GroupMessage, PlatformUser, PostRef, Reaction, ReactionRecord } from './types.js';

/**
 * The embedded platform: the roster is a file, and every post, DM and reaction
 * lives in a JSON state file, so each flow can be run and inspected without a server.
 */

export const LOCAL_BOT_ID = 'pairbot';
export const CHANNEL = 'channel';

export interface LocalPost {
  id: string;
  /** `channel`, or `group:<ids>` for a group's conversation. */
  conversation: string;
  recipients: string[];
  text: string;
  at: string;
  reactions: { userId: string; emoji: string }[];
}

export interface LocalState {
  version: 1;
  nextId: number;
  posts: LocalPost[];
  /** Members taken out of the program by `prune`/`kick`; `local rejoin` puts them back. */
  removed: string[];
}

/** Emoji names the local platform understands, with the unicode and :name: forms. */
const EMOJI_ALIASES: Record<string, string> = {
  '❌': 'x',
  x: 'x',
  '✅': 'white_check_mark',
  white_check_mark: 'white_check_mark',
  '📅': 'calendar',
  calendar: 'calendar',
};

export function normaliseEmoji(emoji: string): string | undefined {
  return EMOJI_ALIASES[emoji.replace(/^:|:$/g, '').replace(/\uFE0F/g, '')];
}

/** The same ❌ means "skip" on a channel announcement and "didn't happen" on a group ask. */
function meaning(emoji: string, conversation: string): Reaction | undefined {
  if (emoji === 'x') return conversation === CHANNEL ? 'skip' : 'missed';
  if (emoji === 'white_check_mark') return 'met';
  if (emoji === 'calendar') return 'scheduled';
  return undefined;
}

const EMOJI_OF: Record<Reaction, string> = { skip: 'x', missed: 'x', met: 'white_check_mark', scheduled: 'calendar' };

export class LocalStateFile {
  constructor(readonly path: string) {}

  read(): LocalState {
    if (!existsSync(this.path)) return { version: 1, nextId: 1, posts: [], removed: [] };
    try {
      const state = JSON.parse(readFileSync(this.path, 'utf8')) as LocalState;
      if (state.version !== 1 || !Array.isArray(state.posts)) throw new Error('unrecognised content');
      state.removed ??= [];
      return state;
    } catch (err) {
      throw new UsageError(`PAIRBOT_LOCAL_STATE: ${this.path} is not a pairbot local state file: ${(err as Error).message}`, { cause: err });
    }
  }

  /** Read-modify-write, replacing the file atomically so a crash never leaves half a file. */
  update<T>(change: (state: LocalState) => T): T {
    const state = this.read();
    const result = change(state);
    writeFileAtomic(this.path, JSON.stringify(state, null, 2) + '\n');
    return result;
  }
}

export function createLocalPlatform(config: Pick<Config, 'roster' | 'localState'>): LocalPlatform {
  return new LocalPlatform(config.roster, new LocalStateFile(config.localState));
}

export class LocalPlatform implements ChatPlatform {
  readonly kind = 'local' as const;
  private roster?: PlatformUser[];

  constructor(
    private readonly rosterPath: string,
    readonly state: LocalStateFile,
  ) {}

  async connect(): Promise<{ botUserId: string }> {
    this.allUsers();
    return { botUserId: LOCAL_BOT_ID };
  }

  /** Every roster entry, including members removed from the program. */
  allUsers(): PlatformUser[] {
    this.roster ??= readRoster(this.rosterPath);
    return this.roster;
  }

  async listMembers(): Promise<PlatformUser[]> {
    const removed = new Set(this.state.read().removed);
    return this.allUsers().filter((u) => !removed.has(u.id));
  }

  async findUser(who: string): Promise<PlatformUser | undefined> {
    return resolveWho(who, this.allUsers());
  }

  sharesConversation(): boolean {
    return true;
  }

  mention(user: Pick<PlatformUser, 'id' | 'name'>): string {
    return neutraliseMentions(`@${listItem(user.name)}`);
  }

  async postToChannel(text: string, reactions: readonly Reaction[] = []): Promise<PostRef> {
    return this.post(CHANNEL, [], text, reactions);
  }

  async sendToGroup(message: GroupMessage, alreadyDelivered: ReadonlySet<string>, record: DeliveryRecorder): Promise<GroupDeliveryResult> {
    const pending = message.memberIds.filter((id) => !alreadyDelivered.has(id));
    if (pending.length === 0) return { unreachable: [] };
    const conversation = `group:${[...message.memberIds].sort().join(',')}`;
    const ref = this.post(conversation, [...message.memberIds], message.text, message.reactions ?? []);
    record(pending, ref);
    return { unreachable: [] };
  }

  async readReactions(post: PostRef): Promise<ReactionRecord[]> {
    const found = this.state.read().posts.find((p) => p.id === post.id);
    if (!found) return [];
    const out: ReactionRecord[] = [];
    for (const r of found.reactions) {
      const reaction = meaning(r.emoji, found.conversation);
      if (r.userId !== LOCAL_BOT_ID && reaction) out.push({ userId: r.userId, reaction });
    }
    return out;
  }

  async removeMember(userId: string): Promise<'removed'> {
    this.state.update((s) => {
      if (!s.removed.includes(userId)) s.removed.push(userId);
    });
    return 'removed';
  }

  async close(): Promise<void> {}

  private post(conversation: string, recipients: string[], text: string, reactions: readonly Reaction[]): PostRef {
    return this.state.update((s) => {
      const id = `p${s.nextId++}`;
      s.posts.push({
        id,
        conversation,
        recipients,
        text,
        at: new Date().toISOString(),
        reactions: reactions.map((r) => ({ userId: LOCAL_BOT_ID, emoji: EMOJI_OF[r] })),
      });
      return { id, conversationId: conversation };
    });
  }
}
