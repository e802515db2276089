import { UsageError } from '../errors.js';

/** Someone `<who>` may name: a platform user id and a username. */
export interface Named {
  id: string;
  name: string;
}

/** The forms `<who>` is written in: `id`, `username`, `@username`, or a `<@id>` mention. */
export function whoKey(who: string): string {
  return who
    .trim()
    .replace(/^<@!?([^>]+)>$/, '$1')
    .replace(/^@/, '');
}

/**
 * Finds the person `<who>` names among `people`, the same way for every command and
 * platform: an exact id or username wins; otherwise a unique case-insensitive match;
 * when several people match equally, exit 2 listing their ids — never a guess.
 * Returns undefined when nobody matches.
 */
export function resolveWho<T extends Named>(who: string, people: readonly T[]): T | undefined {
  const key = whoKey(who);
  const byId = people.find((p) => p.id === key);
  if (byId) return byId;
  const exact = people.filter((p) => p.name === key);
  if (exact.length > 0) return single(who, exact);
  const lower = key.toLowerCase();
  const loose = people.filter((p) => p.name.toLowerCase() === lower || p.id.toLowerCase() === lower);
  return loose.length > 0 ? single(who, loose) : undefined;
}

function single<T extends Named>(who: string, matches: readonly T[]): T {
  if (matches.length === 1) return matches[0]!;
  const listed = matches.map((p) => `${JSON.stringify(p.name)} (id ${p.id})`).join(', ');
  throw new UsageError(`"${who}" matches ${matches.length} people: ${listed}; give the id of the one you mean`);
}

/** A person in errors and warnings, as operators know them: `@name`, the id only where no name is known. */
export function describePerson(userId: string, name: string | undefined): string {
  return name ? `@${name}` : `user ${userId}`;
}
