/**
 * The contract between the pairing engine and the rest of pairbot.
 * Everything here is plain data: the engine never reads a clock, a file or a database.
 */

/** A member who is due this round and may be grouped. */
export interface Candidate {
  id: string;
  /** Offset of the member's time zone from UTC in minutes at the round's date, when known. */
  utcOffsetMinutes?: number;
  /** Optional roster attributes (e.g. cohort, team) used by `attributeRule`. */
  attributes?: Readonly<Record<string, string>>;
  /** How many rounds this member has sat out so far (odd = sit-out). */
  sitOuts: number;
  /** Period index of the last round this member sat out, if any. */
  lastSatOut?: number;
}

/** One past meeting of two people, from any program of the database on the same platform. */
export interface Meeting {
  a: string;
  b: string;
  /** How many periods ago (of the current program's cadence) they met; 0 = this period. */
  age: number;
}

export type OddPolicy = 'triad' | 'sit-out';

export interface AttributeRule {
  key: string;
  /** `mix`: prefer partners with a different value; `within`: prefer the same value. */
  mode: 'mix' | 'within';
}

export interface MatchRequest {
  candidates: readonly Candidate[];
  /** Meetings involving the candidates; pairs may appear several times. */
  history: readonly Meeting[];
  /** Hard constraint: these pairs are never grouped together. */
  avoid: readonly (readonly [string, string])[];
  /** Preferred pairs still waiting to meet: grouped whenever both are candidates. */
  prefer: readonly (readonly [string, string])[];
  /** Target group size k ≥ 2. */
  groupSize: number;
  odd: OddPolicy;
  attributeRule?: AttributeRule;
  /** Seeded random source in [0, 1); the only randomness the engine may use. */
  random: () => number;
}

export interface MatchResult {
  /** Groups of member ids; every id appears in at most one group. */
  groups: string[][];
  /** Who sits out by policy (odd count with `sit-out`). */
  satOut: string[];
  /** Who could not be placed because of hard constraints. */
  unpaired: string[];
}
