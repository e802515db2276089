/**
 * The roster safety valve. A roster read that loses everyone, or more than half of
 * the active members at once, is far more often a fault (a wrong channel or role id, an
 * emptied roster file, an API answering an empty page) than a real exodus; syncing it
 * would mark them all "left" and pair nobody. Returns the members it would lose when
 * the change looks like such a fault, else undefined.
 */
export function suspiciousRosterLoss(activeIds: readonly string[], presentIds: ReadonlySet<string>): string[] | undefined {
  const missing = activeIds.filter((id) => !presentIds.has(id));
  if (activeIds.length === 0 || missing.length === 0) return undefined;
  const everyone = missing.length === activeIds.length;
  return everyone || missing.length * 2 > activeIds.length ? missing : undefined;
}
