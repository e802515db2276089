import type { Context } from '../context.js';
import { UsageError } from '../errors.js';
import { resolveWho } from '../core/who.js';
import { listMembers, type Member } from '../store/members.js';
import { syncRoster } from './pair.js';

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
