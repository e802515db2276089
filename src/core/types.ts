/**
 * The domain's own vocabulary, shared by the core, the store and the platforms: which
 * platform, who is on it, where a message landed, and what a reaction means.
 */

export type PlatformKind = 'local' | 'mattermost' | 'discord';

/** Reactions are named by meaning in the core; each adapter maps them to its emoji. */
export type Reaction = 'skip' | 'met' | 'missed' | 'scheduled';

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
