import type { Context } from './context.js';
import { UsageError } from './errors.js';
import { consecutiveMisses } from './core/feedback.js';
import { resolveWho } from './core/who.js';
import { answersOf } from './store/feedback.js';
import { getMember, listMembers } from './store/members.js';
import { isPaused, lastPausedDay, type Member } from './core/members.js';
import { groupsOfMember } from './store/rounds.js';
import { syncRoster } from './rounds.js';

/** What the commands about members share: who `<who>` names, a member's summary, their misses in a row. */

export interface MemberSummary {
  id: string;
  name: string;
  state: Member['state'];
  /** Paused today (isPaused): never for someone out of the program, whose state says more. */
  paused: boolean;
  frequency: number;
  /** The last paused day (SPEC §7's `pause until D`), as every output shows it. */
  pauseUntil: string | null;
  timezone: string | null;
  lastPartners: { id: string; name: string }[];
  lastGrouped: string | null;
}

export function summarise(ctx: Context, m: Member): MemberSummary {
  const last = groupsOfMember(ctx.db, ctx.program.id, m.userId)[0];
  return {
    id: m.userId,
    name: m.name,
    state: m.state,
    paused: isPaused(m, ctx.today),
    frequency: m.frequency,
    pauseUntil: m.pauseUntil ? lastPausedDay(m.pauseUntil) : null,
    timezone: m.timezone ?? null,
    lastPartners: (last?.memberIds ?? [])
      .filter((id) => id !== m.userId)
      .map((id) => ({ id, name: getMember(ctx.db, ctx.program.id, id)?.name ?? id })),
    lastGrouped: last?.formedOn ?? null,
  };
}

/** Consecutive misses charged to a member since they (re)joined. */
export function missesOf(ctx: Context, member: Member): number {
  const groups = groupsOfMember(ctx.db, ctx.program.id, member.userId).filter(
    (g) => g.source !== 'manual' && g.formedOn >= member.joinedOn,
  );
  const answers = answersOf(
    ctx.db,
    groups.map((g) => g.id),
  );
  return consecutiveMisses(
    member.userId,
    groups.map((g) => ({ memberIds: g.memberIds, answers: answers.get(g.id)! })),
  );
}

/**
 * Finds the member `<who>` names (an id, username or @username; see resolveWho for
 * the rule). Someone not stored yet (the program has not paired since they joined)
 * is looked up on the platform first.
 */
/** The stored member `who` names (exit 2 when several could be meant), or undefined. */
export function storedMember(ctx: Context, who: string): Member | undefined {
  return resolveWho(
    who,
    listMembers(ctx.db, ctx.program.id).map((m) => ({ id: m.userId, name: m.name, member: m })),
  )?.member;
}

export async function findMember(ctx: Context, who: string): Promise<Member> {
  const stored = storedMember(ctx, who);
  if (stored) return stored;
  await syncRoster(ctx);
  const synced = storedMember(ctx, who);
  if (synced) return synced;
  throw new UsageError(
    `no member "${who}" in program "${ctx.program.name}" (give a user id, username or @username; \`pairbot members\` lists them)`,
  );
}
