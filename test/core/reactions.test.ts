import { describe, expect, it } from 'vitest';
import { reactionMeaning, reactionToken } from '../../src/core/reactions.js';
import type { MessageKind, Reaction, ReactionToken } from '../../src/core/types.js';

describe('what a reaction means', () => {
  it('reads ❌ as skip on the opt-out announcement and as missed on a feedback ask', () => {
    expect(reactionMeaning('optout', 'cross')).toBe('skip');
    expect(reactionMeaning('feedback-ask', 'cross')).toBe('missed');
  });

  it('reads ✅ and 📅 on a feedback ask as met and scheduled, and as nothing on the announcement', () => {
    expect(reactionMeaning('feedback-ask', 'check')).toBe('met');
    expect(reactionMeaning('feedback-ask', 'calendar')).toBe('scheduled');
    expect(reactionMeaning('optout', 'check')).toBeUndefined();
    expect(reactionMeaning('optout', 'calendar')).toBeUndefined();
  });

  it('gives no meaning to a reaction on a message nobody answers by reacting', () => {
    const silent: MessageKind[] = ['intro', 'sit-out', 'unpaired', 'unreachable-note', 'removal', 'inbox-reply'];
    for (const kind of silent)
      for (const token of ['cross', 'check', 'calendar'] as ReactionToken[]) expect(reactionMeaning(kind, token)).toBeUndefined();
  });

  it('shows each meaning as the token that reads back as it on the message that asks for it', () => {
    const askedOn: Record<Reaction, MessageKind> = {
      skip: 'optout',
      missed: 'feedback-ask',
      met: 'feedback-ask',
      scheduled: 'feedback-ask',
    };
    for (const [reaction, kind] of Object.entries(askedOn) as [Reaction, MessageKind][]) {
      expect(reactionMeaning(kind, reactionToken(reaction))).toBe(reaction);
    }
    expect(reactionToken('skip')).toBe('cross');
    expect(reactionToken('missed')).toBe('cross');
  });
});
