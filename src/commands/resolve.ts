import type { Context } from '../context.js';
import { UsageError } from '../errors.js';
import { resolveMember, syncMembers, type Member } from '../store/members.js';

/**
 * Finds a member by id, username or @username. Someone not stored yet (the
 * program has not paired since they joined) is looked up on the platform first.
 */
export async function findMember(ctx: Context, who: string): Promise<Member> {
  const stored = resolveMember(ctx.db, ctx.program.id, who);
  if (stored) return stored;
  await ctx.connect();
  syncMembers(ctx.db, ctx.program.id, await ctx.platform.listMembers(), ctx.today);
  const synced = resolveMember(ctx.db, ctx.program.id, who);
  if (synced) return synced;
  throw new UsageError(`no member "${who}" in program "${ctx.program.name}" (give a user id, username or @username; \`pairbot members\` lists them)`);
}
