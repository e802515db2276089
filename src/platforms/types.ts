/**
 * The one interface every chat platform implements (local, Mattermost, Discord).
 * Operations are on *groups*: an adapter maps a group message to one group
 * conversation (Mattermost, local) or one message per member (Discord).
 */

import type { PlatformKind, PlatformUser, PostRef, Reaction } from '../core/types.js';

export type { PlatformKind, PlatformUser, PostRef, Reaction } from '../core/types.js';

/** What an adapter logs through (a subset of the CLI's Logger, so tests can pass a plain object). */
export interface PlatformLog {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
}

export interface ReactionRecord {
  userId: string;
  reaction: Reaction;
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

export interface GroupMessage extends ChannelMessage {
  /** Platform user ids of the recipients (one or more). */
  memberIds: readonly string[];
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
  /** For a failed check: the setting, permission or admin-UI place to fix. */
  fix?: string;
  /** The platform could not be reached at all (exit 1, not a set-up mistake). */
  unreachable?: boolean;
}

export interface ChatPlatform {
  readonly kind: PlatformKind;
  /**
   * `pairbot doctor`'s probes, in SPEC §9's order (reachable, token, place, may post and
   * react, Discord's Members Intent, the permissions prune and join/leave need). Stops at
   * the first failure that leaves the later checks meaningless. Never throws for what it
   * checks; posts and changes nothing.
   */
  checkSetup(): Promise<SetupCheck[]>;
  /** Checks credentials and the configured place; returns the bot's own user id. */
  connect(): Promise<{ botUserId: string }>;
  /** The program's members: never bots or deactivated accounts, never the bot itself. */
  listMembers(): Promise<PlatformUser[]>;
  /** Resolves a user by id, username or @username among the program's members or anyone the platform knows. */
  findUser(who: string): Promise<PlatformUser | undefined>;
  /**
   * Does a group of this size share one conversation (so "reply here" reaches everyone),
   * or does each member get their own message from the bot?
   */
  sharesConversation(groupSize: number): boolean;
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
  addReactions(post: PostRef, reactions: readonly Reaction[]): Promise<void>;
  /** Reactions on a post by anyone but the bot, mapped to their meaning (unknown emoji dropped). */
  readReactions(post: PostRef): Promise<ReactionRecord[]>;
  /** Removes a member from the program's place when the bot may. */
  removeMember(userId: string): Promise<'removed' | 'not-permitted'>;
  /** Releases connections; safe to call more than once. */
  close(): Promise<void>;
}
