import type { Context } from '../context.js';
import { EXIT, InterruptedError, UsageError } from '../errors.js';
import { canonicalTimeZone } from '../config.js';
import { listItem } from '../core/messages.js';
import { isIsoDate } from '../core/periods.js';
import { ruledOutByAvoids } from '../core/round.js';
import {
  forgetPerson,
  getMember,
  listMembers,
  listPreferences,
  setPreference,
  updateMember,
  type MemberChanges,
} from '../store/members.js';
import { isPaused, pauseUntilAfter, type Member } from '../core/members.js';
import { findRound, groupsOfMember, hasManualMeeting, insertGroup, placementOf } from '../store/rounds.js';
import { findMember, missesOf, storedMember, summarise } from '../member-info.js';
import { FORGOTTEN } from '../core/inbox-replies.js';
import { writeTransaction } from '../store/db.js';
import { letBackIn, syncRoster, type LetBackIn } from '../rounds.js';

export interface SetOptions {
  frequency?: string;
  pauseUntil?: string;
  resume?: boolean;
  prefer?: string;
  avoid?: string;
  timezone?: string;
}

/** Checks every flag before anything is looked up or written. */
export function validateSet(options: SetOptions): MemberChanges {
  const changes: MemberChanges = {};
  if (options.frequency !== undefined) {
    if (!/^\d+$/.test(options.frequency) || Number(options.frequency) < 1 || Number(options.frequency) > 52) {
      throw new UsageError(`--frequency: expected a whole number of periods from 1 to 52, got ${JSON.stringify(options.frequency)}`);
    }
    changes.frequency = Number(options.frequency);
  }
  if (options.pauseUntil !== undefined && options.resume) throw new UsageError('--pause-until and --resume cannot be used together');
  if (options.pauseUntil !== undefined) {
    if (!isIsoDate(options.pauseUntil))
      throw new UsageError(`--pause-until: expected a date YYYY-MM-DD, got ${JSON.stringify(options.pauseUntil)}`);
    // D is the last paused day; the database holds the first day back.
    changes.pauseUntil = pauseUntilAfter(options.pauseUntil);
  }
  if (options.resume) changes.pauseUntil = null;
  if (options.timezone !== undefined) {
    const zone = canonicalTimeZone(options.timezone);
    if (!zone)
      throw new UsageError(`--timezone: expected an IANA time zone such as Europe/Berlin, got ${JSON.stringify(options.timezone)}`);
    changes.timezoneOverride = zone;
  }
  const anything = Object.keys(changes).length > 0 || options.prefer !== undefined || options.avoid !== undefined || options.resume;
  if (!anything)
    throw new UsageError('member set: nothing to change (give --frequency, --pause-until, --resume, --prefer, --avoid or --timezone)');
  return changes;
}

export async function setMember(ctx: Context, who: string, options: SetOptions, changes: MemberChanges): Promise<number> {
  // Known from the flags and the date alone: refused before the roster is read.
  if (options.pauseUntil !== undefined && options.pauseUntil < ctx.today) {
    throw new UsageError(
      `--pause-until ${options.pauseUntil} is before today (${ctx.today}): a pause skips every round up to and including the day it names (use --resume to end a pause now)`,
    );
  }
  const member = await findMember(ctx, who);
  const prefer = options.prefer !== undefined ? await findMember(ctx, options.prefer) : undefined;
  const avoid = options.avoid !== undefined ? await findMember(ctx, options.avoid) : undefined;
  for (const other of [prefer, avoid]) {
    if (other?.userId === member.userId) throw new UsageError(`${member.name} cannot prefer or avoid themselves`);
  }
  refuseContradictions(ctx, member, prefer, avoid);
  // As a moderator's `resume @x`: someone out of the place too is back in the program only once back there.
  let back: LetBackIn | undefined;
  if (options.resume && (member.state === 'removed' || member.state === 'kicked')) {
    back = await letBackIn(ctx, ctx.platform, member.userId, ctx.today, () => syncRoster(ctx));
    Object.assign(changes, back.changes);
  }
  const unpairableBefore = avoid ? unpairable(ctx) : [];
  const done: string[] = [];
  writeTransaction(ctx.db, () => {
    updateMember(ctx.db, ctx.program.id, member.userId, changes);
    if (changes.frequency !== undefined) done.push(`meets every ${changes.frequency === 1 ? 'round' : `${changes.frequency} rounds`}`);
    if (options.pauseUntil !== undefined) done.push(`paused until ${options.pauseUntil}`);
    if (options.resume)
      done.push(
        back ? comeback(back) : isPaused(member, ctx.today) ? 'pause ended, back in the rotation' : 'was not paused; nothing to resume',
      );
    if (changes.timezoneOverride) done.push(`time zone ${changes.timezoneOverride}`);
    // A prefer for someone avoided was refused above; an avoid replaces a preference (setPreference).
    if (prefer) {
      setPreference(ctx.db, ctx.program.id, { userId: member.userId, otherId: prefer.userId, kind: 'prefer', createdOn: ctx.today });
      done.push(`prefers ${prefer.name}`);
    }
    if (avoid) {
      if (setPreference(ctx.db, ctx.program.id, { userId: member.userId, otherId: avoid.userId, kind: 'avoid', createdOn: ctx.today }))
        done.push(`no longer prefers ${avoid.name}`);
      done.push(`is never paired with ${avoid.name}`);
    }
  });
  ctx.log.info(`${member.name}: ${done.join('; ')}`);
  if (avoid) warnNewlyUnpairable(ctx, unpairableBefore);
  return EXIT.ok;
}

/** What `--resume` of someone out of the program did. */
function comeback(back: LetBackIn): string {
  if (!back.place) return 'back in the program';
  if (back.place.added) return `back in the program; added back to ${back.place.place}`;
  return `may come back, but is not in ${back.place.place} any more and pairbot cannot add them: back in the program once they join it`;
}

/** A change that contradicts itself or what is stored is refused before anything is written. */
function refuseContradictions(ctx: Context, member: Member, prefer: Member | undefined, avoid: Member | undefined): void {
  if (prefer && avoid && prefer.userId === avoid.userId) throw new UsageError(`${member.name} cannot both prefer and avoid ${prefer.name}`);
  if (prefer) {
    const apart = listPreferences(ctx.db, ctx.program.id).some(
      (p) =>
        p.kind === 'avoid' &&
        ((p.userId === member.userId && p.otherId === prefer.userId) || (p.userId === prefer.userId && p.otherId === member.userId)),
    );
    if (apart)
      throw new UsageError(
        `an avoid keeps ${member.name} and ${prefer.name} apart: a preference for ${prefer.name} would never be honoured`,
      );
  }
}

/** Active members whom avoids leave no possible partner. */
function unpairable(ctx: Context): string[] {
  const active = listMembers(ctx.db, ctx.program.id)
    .filter((m) => m.state === 'active')
    .map((m) => m.userId);
  const avoid = listPreferences(ctx.db, ctx.program.id)
    .filter((p) => p.kind === 'avoid')
    .map((p): [string, string] => [p.userId, p.otherId]);
  return ruledOutByAvoids(active, avoid);
}

/** The operator is told at once when an avoid leaves someone unpairable (members never are). */
function warnNewlyUnpairable(ctx: Context, before: readonly string[]): void {
  const now = unpairable(ctx).filter((id) => !before.includes(id));
  if (now.length === 0) return;
  const names = now.map((id) => listItem(getMember(ctx.db, ctx.program.id, id)?.name ?? id)).join(', ');
  ctx.log.warn(
    `${names} now ${now.length === 1 ? 'has' : 'have'} no possible partner: avoids rule out every other active member, so pair will never place ${now.length === 1 ? 'them' : 'any of them'}`,
  );
}

export async function showMember(ctx: Context, who: string, options: { json?: boolean }): Promise<number> {
  const member = await findMember(ctx, who);
  const summary = summarise(ctx, member);
  const name = (id: string): string => getMember(ctx.db, ctx.program.id, id)?.name ?? id;
  const groups = groupsOfMember(ctx.db, ctx.program.id, member.userId);
  const round = findRound(ctx.db, ctx.program.id, ctx.period.key);
  // This round's group as it is now: catch-up may have moved them, or moved their partners on.
  const placed = round ? placementOf(ctx.db, round.id, member.userId) : undefined;
  const partnersNow = placed?.partners ?? [];
  const current = partnersNow.length > 0 ? placed?.group : undefined;
  const partners = groups
    .filter((g) => g.id !== current?.id)
    .slice(0, 10)
    .map((g) => ({
      on: g.formedOn,
      source: g.source,
      with: g.memberIds.filter((id) => id !== member.userId).map((id) => ({ id, name: name(id) })),
    }));
  const preferences = listPreferences(ctx.db, ctx.program.id)
    .filter((p) => p.userId === member.userId || (p.kind === 'avoid' && p.otherId === member.userId))
    .map((p) => {
      const other = p.userId === member.userId ? p.otherId : p.userId;
      // An avoid is both ways, so the operator sees the one set against this member too, marked as theirs.
      return { kind: p.kind, id: other, name: name(other), since: p.createdOn, setBy: p.userId };
    });
  const report = {
    ...summary,
    attributes: member.attributes,
    joinedOn: member.joinedOn,
    currentGroup: current ? { round: ctx.period.key, with: partnersNow.map((id) => ({ id, name: name(id) })) } : null,
    previousPartners: partners,
    preferences,
    misses: missesOf(ctx, member),
  };
  if (options.json) {
    ctx.print(JSON.stringify(report, null, 2));
    return EXIT.ok;
  }
  const lines = [
    `${member.name} (${member.userId}) — ${summary.paused ? `paused until ${summary.pauseUntil}` : member.state}, every ${member.frequency === 1 ? 'round' : `${member.frequency} rounds`}, joined ${member.joinedOn}`,
    `time zone: ${member.timezone ?? 'unknown'}${member.timezoneOverride ? ' (set by an operator)' : ''}`,
    `this round (${ctx.period.key}): ${report.currentGroup ? `with ${report.currentGroup.with.map((p) => p.name).join(', ')}` : 'not in a group'}`,
    `previous partners: ${partners.length ? partners.map((p) => `${p.with.length ? p.with.map((w) => w.name).join(' + ') : FORGOTTEN} (${p.on}${p.source === 'manual' ? ', recorded by hand' : ''})`).join('; ') : 'none'}`,
    `preferences: ${preferences.length ? preferences.map((p) => (p.setBy === member.userId ? `${p.kind} ${p.name}` : `avoided by ${p.name}`)).join('; ') : 'none'}`,
    `missed meetings in a row: ${report.misses} (removed at ${ctx.config.maxMisses})`,
  ];
  ctx.print(lines.join('\n'));
  return EXIT.ok;
}

export async function kickMember(ctx: Context, who: string): Promise<number> {
  const member = await findMember(ctx, who);
  updateMember(ctx.db, ctx.program.id, member.userId, { state: 'kicked' });
  ctx.log.info(
    `${member.name} is out of program "${ctx.program.name}" (bring them back with \`pairbot member set ${member.name} --resume\`)`,
  );
  return EXIT.ok;
}

export async function addPartner(ctx: Context, who: string, partner: string): Promise<number> {
  const a = await findMember(ctx, who);
  const b = await findMember(ctx, partner);
  if (a.userId === b.userId) throw new UsageError('add-partner: a member cannot be their own partner');
  if (hasManualMeeting(ctx.db, ctx.program.id, a.userId, b.userId, ctx.today)) {
    ctx.log.info(`${a.name} meeting ${b.name} on ${ctx.today} was already recorded`);
    return EXIT.ok;
  }
  insertGroup(ctx.db, ctx.program.id, null, ctx.today, 'manual', [a.userId, b.userId], ctx.config.now.toISOString());
  ctx.log.info(`recorded that ${a.name} met ${b.name} on ${ctx.today}`);
  return EXIT.ok;
}

export async function forgetMember(ctx: Context, who: string): Promise<number> {
  // Only what is stored: reading the roster here would add the person back before deleting them.
  const member = storedMember(ctx, who);
  if (!member) {
    ctx.log.info(`nothing is stored about "${who}" in program "${ctx.program.name}"; nothing to delete`);
    return EXIT.ok;
  }
  forgetPerson(ctx.db, member.userId);
  ctx.log.info(`deleted everything stored about ${member.name} (${member.userId}) in this database`);
  if (await stillOnRoster(ctx, member.userId)) {
    ctx.log.warn(
      `${member.name} is still in the program's place on ${ctx.platform.kind}: the next pair will add them back as a new member ` +
        'with no history. Remove them there first if they should not take part.',
    );
  }
  return EXIT.ok;
}

/** Is the user on the platform's roster? Unknown (platform unreachable) counts as no: forgetting never fails on it. */
async function stillOnRoster(ctx: Context, userId: string): Promise<boolean> {
  try {
    await ctx.connect();
    return (await ctx.platform.listMembers()).some((u) => u.id === userId);
  } catch (err) {
    if (err instanceof InterruptedError) throw err;
    ctx.log.debug(`could not read the roster to check for ${userId}: ${(err as Error).message}`);
    return false;
  }
}
