/**
 * What a reaction means, decided in one place for every platform. An adapter reads its
 * own emoji (and the look-alikes members pick instead) as one of a few platform-neutral
 * tokens; the kind of message the reaction is on decides what the token means: ❌ is
 * "skip this round" on the opt-out announcement and "didn't happen" on a feedback ask.
 */

import type { MessageKind, Reaction, ReactionToken } from './types.js';

/** The token each meaning is shown as: the bot adds it to the post, members click it. */
const TOKEN_OF: Record<Reaction, ReactionToken> = { skip: 'cross', missed: 'cross', met: 'check', scheduled: 'calendar' };

/** Per kind of message, what each token means there; a kind not listed is answered by no reaction. */
const MEANING: Partial<Record<MessageKind, Partial<Record<ReactionToken, Reaction>>>> = {
  optout: { cross: 'skip' },
  'feedback-ask': { check: 'met', cross: 'missed', calendar: 'scheduled' },
};

/** The token that shows a meaning (the bot's own reaction on a post). */
export function reactionToken(reaction: Reaction): ReactionToken {
  return TOKEN_OF[reaction];
}

/** What a member's reaction means on a message of this kind; undefined when it means nothing there. */
export function reactionMeaning(kind: MessageKind, token: ReactionToken): Reaction | undefined {
  return MEANING[kind]?.[token];
}
