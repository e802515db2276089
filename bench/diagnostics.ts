/**
 * Diagnostics for the benchmarks and tests, kept out of the package: run the pairing
 * step alone, or compare it with the exact matching of the complete graph.
 */
import type { MatchRequest } from '../src/core/matching-types.js';
import { buildModel } from '../src/core/matching/model.js';
import { exactPairs, type Pairing, pairUp, spareRuleFor } from '../src/core/matching/pairs.js';
import { type PairingMethod, pairingMethod } from '../src/core/matching/strategy.js';

/** The engine's pairing and the exact maximum-weight matching of the complete graph (quadratic: small n only). */
export function comparePairingWithExact(req: MatchRequest): { engine: Pairing; exact: Pairing } {
  const model = buildModel(req);
  const rule = spareRuleFor(model, req);
  return { engine: pairUp(model, rule, pairingMethod(model.n)), exact: exactPairs(model, rule) };
}

interface PairingOptions {
  /** Override the size-based choice (benchmarks compare both at the threshold). */
  method?: PairingMethod;
}

/** Run the pairing alone, optionally forcing the blossom or the large-n fallback. */
export function pairingOnly(req: MatchRequest, options: PairingOptions = {}): Pairing {
  const model = buildModel(req);
  return pairUp(model, spareRuleFor(model, req), options.method ?? pairingMethod(model.n));
}
