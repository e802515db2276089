/**
 * Feedback rules. Answers are kept per reporter about a group; when members
 * disagree, all answers are kept and the outcome is derived.
 */

export type Answer = 'met' | 'missed' | 'scheduled';
export type Outcome = Answer | 'unanswered';

export interface GroupAnswers {
  memberIds: readonly string[];
  answers: readonly { reporterId: string; answer: Answer }[];
}

/** Any ✅ → met; otherwise any 📅 → scheduled; otherwise any ❌ → missed. */
export function groupOutcome(answers: GroupAnswers['answers']): Outcome {
  if (answers.some((a) => a.answer === 'met')) return 'met';
  if (answers.some((a) => a.answer === 'scheduled')) return 'scheduled';
  if (answers.some((a) => a.answer === 'missed')) return 'missed';
  return 'unanswered';
}

/**
 * Who is charged with a missed meeting: the members who answered nothing. An
 * engaged member who reports is not punished for a disengaged partner.
 */
export function chargedWithMiss(group: GroupAnswers): string[] {
  if (groupOutcome(group.answers) !== 'missed') return [];
  const answered = new Set(group.answers.map((a) => a.reporterId));
  return group.memberIds.filter((id) => !answered.has(id));
}

export interface Tally {
  met: number;
  missed: number;
  scheduled: number;
  unanswered: number;
}

export function tally(groups: readonly GroupAnswers[]): Tally {
  const t: Tally = { met: 0, missed: 0, scheduled: 0, unanswered: 0 };
  for (const g of groups) t[groupOutcome(g.answers)]++;
  return t;
}

/**
 * The run of misses charged to a member after one more of their groups, taken oldest
 * first. A met group, or a missed one they reported themselves, ends the run; groups
 * with no verdict yet (unanswered, scheduled) neither count nor break it.
 */
export function missRunAfter(run: number, memberId: string, group: GroupAnswers): number {
  const outcome = groupOutcome(group.answers);
  if (outcome === 'unanswered' || outcome === 'scheduled') return run;
  return chargedWithMiss(group).includes(memberId) ? run + 1 : 0;
}

/**
 * Consecutive misses charged to a member, counting back from their latest group
 * (missRunAfter's rule). Only groups since the member (re)joined count, so rejoining
 * is a fresh start.
 */
export function consecutiveMisses(memberId: string, newestFirst: readonly GroupAnswers[]): number {
  let run = 0;
  for (let i = newestFirst.length - 1; i >= 0; i--) run = missRunAfter(run, memberId, newestFirst[i]!);
  return run;
}

/** A 📅 group is asked again at most this many times. */
const MAX_REMINDERS = 2;

/**
 * Should a group be asked again? Only a 📅 "scheduled" group that was asked before,
 * not yet reminded MAX_REMINDERS times, and not already asked today (so re-running
 * on the same day sends nothing new).
 */
export function needsReminder(outcome: Outcome, askedOn: readonly string[], today: string): boolean {
  return outcome === 'scheduled' && askedOn.length > 0 && askedOn.length <= MAX_REMINDERS && !askedOn.includes(today);
}
