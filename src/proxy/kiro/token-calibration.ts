// One honest prompt-token count. Before Kiro answers, the prompt size is an estimate over the
// Kiro request we send (what Kiro counts, its JSON included); once Kiro reports what it counted
// (contextUsageEvent, metadataEvent), the ratio of the two is learned per model, so later
// estimates (count_tokens, message_start) land where Kiro's own count will.
import { flatMapped } from '../lists';
import { tokenWeight } from '../tokens';
import type { KiroRequestBody } from './request';

/** Claude's own rule of thumb for an image of typical size; its base64 text is not what Kiro counts. */
const IMAGE_TOKENS = 1600;
/** Weight of a new observation in the running ratio: a few replies settle it, one odd reply does not. */
const LEARNING_RATE = 0.3;
/** A ratio outside this range is a misreading (a cut-off reply, a stale percentage), not Kiro's count. */
const PLAUSIBLE = { min: 0.2, max: 5 };

/** The uncalibrated token estimate of a Kiro request: its JSON text (`textWeight`, see tokenWeight), with images at their usual cost. */
export function kiroRequestTokens(textWeight: number, body: KiroRequestBody): number {
  let weight = textWeight;
  const state = body.conversationState;
  const messages = [state.currentMessage.userInputMessage, ...flatMapped(state.history ?? [], (e) => ('userInputMessage' in e ? [e.userInputMessage] : []))];
  for (const message of messages) {
    for (const image of message.images ?? []) weight += IMAGE_TOKENS - tokenWeight(image.source.bytes);
  }
  return Math.max(1, Math.ceil(weight));
}

export class TokenCalibration {
  private readonly ratios = new Map<string, number>();

  /** The estimate scaled by what Kiro reported for this model so far. */
  estimate(kiroModel: string, rawTokens: number): number {
    return Math.max(1, Math.round(rawTokens * (this.ratios.get(kiroModel) ?? 1)));
  }

  /** Learns from one reply: Kiro counted `reportedTokens` for a request estimated at `rawTokens`. */
  observe(kiroModel: string, rawTokens: number, reportedTokens: number): void {
    if (rawTokens <= 0 || reportedTokens <= 0) return;
    const ratio = reportedTokens / rawTokens;
    if (ratio < PLAUSIBLE.min || ratio > PLAUSIBLE.max) return;
    const previous = this.ratios.get(kiroModel);
    this.ratios.set(kiroModel, previous === undefined ? ratio : previous + (ratio - previous) * LEARNING_RATE);
  }

  /** The learned ratio of a model (1 until Kiro reported one), for tests and the log. */
  ratio(kiroModel: string): number {
    return this.ratios.get(kiroModel) ?? 1;
  }
}
