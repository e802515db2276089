/**
 * The domain's own vocabulary, shared by the core, the store and the platforms: which
 * platform, who is on it, where a message landed, and what a reaction means.
 */

export type PlatformKind = 'local' | 'mattermost' | 'discord';

/** Reactions are named by meaning in the core; src/core/reactions.ts maps them to tokens. */
export type Reaction = 'skip' | 'met' | 'missed' | 'scheduled';

/**
 * A reaction as every platform has it, whatever its emoji's name there: ❌ (and ❎, ✖),
 * ✅ (and ✔, ☑), 📅 (and 📆, 🗓). Its meaning depends on the message (src/core/reactions.ts).
 */
export type ReactionToken = 'cross' | 'check' | 'calendar';

/** What an outbox message is, which also decides what a reaction on it means. */
export type MessageKind = 'intro' | 'sit-out' | 'unpaired' | 'unreachable-note' | 'optout' | 'feedback-ask' | 'removal' | 'inbox-reply';

/** A person on the platform who belongs to the program's place (channel / role / roster). */
export interface PlatformUser {
  /** The platform's user id (the roster's `id` column on the local platform). */
  id: string;
  /** Username, shown and mentioned. */
  name: string;
  /** IANA time zone when the platform knows it. */
  timezone?: string;
  /** Extra roster columns (local platform), e.g. cohort or team. */
  attributes?: Record<string, string>;
}

/** Where a message landed, enough to read its reactions later. */
export interface PostRef {
  id: string;
  conversationId: string;
}
