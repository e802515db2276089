/**
 * The one interface every chat platform implements (local, Mattermost, Discord).
 * Operations are on *groups*: an adapter maps a group message to one group
 * conversation (Mattermost, local) or one message per member (Discord).
 */

import type { PlatformKind, PlatformUser, PostRef, ReactionToken } from '../core/types.js';

export type { PlatformUser, PostRef, ReactionToken } from '../core/types.js';

/** What an adapter logs through (a subset of the CLI's Logger, so tests can pass a plain object). */
export interface PlatformLog {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
}

/** A member's reaction on a post, as a platform-neutral token (its meaning: src/core/reactions.ts). */
export interface ReactionRecord {
  userId: string;
  token: ReactionToken;
}

/** A group's own conversation, on a platform that opens one per group (Discord's private threads). */
export interface GroupThread {
  /** Its title, unique to the group: a run killed after creating it finds it again by this. */
  name: string;
  /** The thread an earlier message of the group opened. */
  id?: string;
  /** Called as soon as the thread exists, before anything is posted in it, so it is stored. */
  onOpened?: (id: string) => void;
}

/** A message in the program's channel. */
export interface ChannelMessage {
  text: string;
  /**
   * The same on every retry of this message (its outbox id): platforms that de-duplicate
   * creates get an id derived from it, and a post carries it so it can be found again.
   */
  key?: string;
  /**
   * Set when an earlier attempt to send this message may have reached the platform
   * (killed, timed out) without its outcome being recorded: the ISO time that attempt
   * started. The adapter first looks for a message with `key` in the conversation since
   * then, and returns it instead of posting again.
   */
  uncertainSince?: string;
}

/** See ChatPlatform.deliveryForm. */
export type DeliveryForm = 'shared' | 'own' | 'shared, else own';

export interface GroupMessage extends ChannelMessage {
  /** Platform user ids of the recipients (one or more). */
  memberIds: readonly string[];
  /** The group's conversation, for a message to the whole group (intro, feedback ask); adapters that DM each member ignore it. */
  thread?: GroupThread;
  /**
   * Members' own copies of `text`, where they differ (an intro tells the meeting time in the
   * reader's local time first, and says to message the others directly rather than to reply
   * in a shared conversation): a member who gets a message of their own gets theirs.
   */
  ownTexts?: Readonly<Record<string, string>>;
}

/**
 * Called as soon as part of a group message is delivered, before the next part is
 * attempted, so a crash never sends the same part twice.
 */
export type DeliveryRecorder = (memberIds: readonly string[], post: PostRef) => void;

export interface GroupDeliveryResult {
  /** Members who cannot be messaged at all (DMs closed, account gone), with the reason. */
  unreachable: { userId: string; reason: string }[];
}

/** One line of `pairbot doctor` (SPEC §9): what was checked, and for a ✗ the exact fix. */
export interface SetupCheck {
  name: string;
  ok: boolean;
  detail: string;
  /**
   * For a failed check: the setting, permission or admin-UI place to fix. A check that
   * passed with a fix is a warning: something is missing that has a fallback (doctor's `!`).
   */
  fix?: string;
  /** The platform could not be reached at all (exit 1, not a set-up mistake). */
  unreachable?: boolean;
}

/** A message someone wrote where the bot can read it (SPEC §7). */
export interface IncomingMessage {
  /** The platform's message id: handled once, ever. */
  id: string;
  conversationId: string;
  /** The thread it was written in, where threads live inside a conversation (Mattermost: the root post's id); the reply goes there. */
  thread?: string;
  /** Others besides the sender and the bot read this conversation (channel, group, thread). */
  shared: boolean;
  /** Written to the bot: anything in a one-to-one conversation, elsewhere only a mention of the bot. */
  toBot: boolean;
  fromId: string;
  fromName: string;
  /** Written by a bot (another bot, an integration): never answered. */
  fromBot: boolean;
  text: string;
  /** When it was written, ISO. */
  at: string;
}

export interface InboxRequest {
  /** Per conversation, how far earlier runs read (adapter-specific values). */
  cursors: ReadonlyMap<string, string>;
  /**
   * Conversations the bot delivered to (from the outbox), for platforms that cannot list them;
   * `thread`: a group's own thread; `due: false`: a dormant direct conversation whose turn to
   * be read has not come (src/core/inbox-scan.ts), skipped where reading one costs a request.
   */
  conversations: readonly { id: string; recipients: readonly string[]; thread?: boolean; due?: boolean }[];
  /** Conversations never read before are read from this instant on. */
  since: Date;
}

export interface InboxBatch {
  /** Oldest first, the bot's own messages left out. */
  messages: IncomingMessage[];
  /** New cursor values for the conversations read; stored once every message is handled. */
  cursors: Map<string, string>;
  /** The bot as members mention it, so a command can ignore the mention. */
  bot: { id: string; name: string };
}

export interface InboxReply extends ChannelMessage {
  conversationId: string;
  /** The sender, the only person the reply may mention. */
  to: string;
  /** The message answered, so platforms with replies attach to it. */
  replyTo?: string;
  /** The thread the message was written in (IncomingMessage.thread): the reply goes into it. */
  thread?: string;
}

/** A person's name as the program knows it (members table), or undefined for someone it does not know. */
export type NameLookup = (userId: string) => string | undefined;

/** What the bot can do about the program's place (channel membership or role) on a member's behalf. */
export type PlaceChange = 'done' | 'not-permitted';

export interface ChatPlatform {
  readonly kind: PlatformKind;
  /**
   * True where a message sent again with the same `key`, in this run or any later one and
   * without `uncertainSince`, comes back as the post the first send made and posts nothing
   * (the local platform keeps every key in its state file). Delivery then records a message
   * once, when it is done, with no intent before: a message whose record a kill lost is
   * simply sent again. Platforms that forget keys (Mattermost, Discord) leave it unset, and
   * each part is recorded the moment the platform answers.
   */
  readonly remembersKeys?: boolean;
  /**
   * Where a platform keeps its sends back to write them together (the local platform commits
   * its state file once per batch of posts): makes every send so far permanent. Delivery calls
   * it before it records anything as delivered, so no record names a post a kill undid.
   */
  commitSends?(): void;
  /**
   * `pairbot doctor`'s probes, in SPEC §9's order (reachable, token, place, may post and
   * react, Discord's Members Intent, the permissions prune and join/leave need). Stops at
   * the first failure that leaves the later checks meaningless. Never throws for what it
   * checks; posts and changes nothing.
   */
  checkSetup(): Promise<SetupCheck[]>;
  /**
   * Where to find people's names when the platform has not said them this run (a run that
   * did not read the roster), so errors and warnings name them `@name`, not by raw id.
   */
  useProgramNames(lookup: NameLookup): void;
  /** Checks credentials and the configured place; returns the bot's own user id. */
  connect(): Promise<{ botUserId: string }>;
  /** The program's members: never bots or deactivated accounts, never the bot itself. */
  listMembers(): Promise<PlatformUser[]>;
  /** Resolves a user by id, username or @username among the program's members or anyone the platform knows. */
  findUser(who: string): Promise<PlatformUser | undefined>;
  /**
   * How a group of this size gets a message: in one conversation it shares (so "reply
   * here" reaches everyone), as a copy each, or shared unless the platform refuses the
   * shared conversation (then a copy each, in the form a copy of its own reads).
   */
  deliveryForm(groupSize: number): DeliveryForm;
  /** How to mention a user in a message on this platform (e.g. `@alice`, `<@123>`). */
  mention(user: Pick<PlatformUser, 'id' | 'name'>): string;
  /** Posts in the program's channel (or finds the post an uncertain earlier attempt made). */
  postToChannel(message: ChannelMessage): Promise<PostRef>;
  /**
   * Sends `message` to its members, skipping those in `alreadyDelivered`, calling
   * `record` after each delivered part. Throws PlatformError on a fault that a later
   * retry may fix; members who can never be reached are returned, not thrown.
   */
  sendToGroup(message: GroupMessage, alreadyDelivered: ReadonlySet<string>, record: DeliveryRecorder): Promise<GroupDeliveryResult>;
  /**
   * Adds the bot's own reactions to a post it made (already there: fine). A step of its
   * own, after the post is recorded, so a failed reaction never makes a post be sent again.
   */
  addReactions(post: PostRef, tokens: readonly ReactionToken[]): Promise<void>;
  /** Reactions on a post by anyone but the bot, once per member and token (emoji that are no token dropped). */
  readReactions(post: PostRef): Promise<ReactionRecord[]>;
  /** Removes a member from the program's place when the bot may. */
  removeMember(userId: string): Promise<'removed' | 'not-permitted'>;
  /** Reads what was written to the bot since the cursors (inbox). */
  readMessagesToBot?(request: InboxRequest): Promise<InboxBatch>;
  /** Answers in the conversation a message came from, pinging at most `to`. */
  replyInConversation?(reply: InboxReply): Promise<PostRef>;
  /** Puts a user into the program's place (channel / role) when the bot may. */
  addMember?(userId: string): Promise<PlaceChange>;
  /** The program's place as members know it (`~town-square`, `the @pairing role`), and how to join or leave it by hand. */
  place?(): { name: string; joinHowTo: string; leaveHowTo: string };
  /** Does the user hold this role (Discord moderators via PAIRBOT_ADMIN_ROLE)? */
  holdsRole?(userId: string, roleId: string): Promise<boolean>;
  /** Releases connections; safe to call more than once. */
  close(): Promise<void>;
}
