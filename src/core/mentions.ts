/** Making text inert: what a member or a community writes can never ping anyone it should not. */

const ZWSP = '\u200b';

/** Makes mass mentions and role pings in user-supplied text inert. */
export function neutraliseMentions(text: string): string {
  // Most text (names, time zones) has neither: skip the three scans.
  if (!text.includes('@')) return text;
  return text
    .replace(/@(everyone|here|channel|all)\b/gi, `@${ZWSP}$1`)
    .replace(/<@&/g, `<${ZWSP}@&`)
    .replace(/<@!?(\d)/g, `<${ZWSP}@$1`);
}

/**
 * A template's own text pings nobody at all: every `@` before a name and every Discord
 * mention gets a zero-width space, so only the mentions placeholders insert can ping.
 */
export function neutraliseAllMentions(text: string): string {
  if (!text.includes('@')) return text;
  return text.replace(/<@/g, `<${ZWSP}@`).replace(/@(?=[\p{L}\p{N}_.-])/gu, `@${ZWSP}`);
}
