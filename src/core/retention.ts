/** Retention: which old groups may be deleted. Pure; the store applies the verdict. */

export interface DatedGroup {
  id: number;
  formedOn: string;
  memberIds: readonly string[];
}

/** How many of each member's most recent partners are always kept. */
const KEPT_PARTNERS = 10;

/**
 * Groups formed before `cutoff` may go, except the ones holding the latest
 * meeting of each member with one of their `KEPT_PARTNERS` most recent partners.
 */
export function groupsToDelete(groups: readonly DatedGroup[], cutoff: string, kept = KEPT_PARTNERS): number[] {
  const newestFirst = [...groups].sort((a, b) => (a.formedOn === b.formedOn ? b.id - a.id : a.formedOn < b.formedOn ? 1 : -1));
  const keep = new Set<number>();
  const partnersSeen = new Map<string, Set<string>>();
  for (const g of newestFirst) {
    for (const m of g.memberIds) {
      const seen = partnersSeen.get(m) ?? new Set<string>();
      partnersSeen.set(m, seen);
      for (const other of g.memberIds) {
        if (other === m || seen.has(other) || seen.size >= kept) continue;
        seen.add(other);
        keep.add(g.id);
      }
    }
  }
  return newestFirst.filter((g) => g.formedOn < cutoff && !keep.has(g.id)).map((g) => g.id);
}
