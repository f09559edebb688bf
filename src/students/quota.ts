import type { QuotaState } from './types.js';

/** The quota's window: a rolling 24 hours. */
export const QUOTA_WINDOW_MS = 24 * 60 * 60 * 1000;

/** Slots still inside the window at `now`: a slot taken at t counts while now < t + window. */
export function slotsInWindow(slots: readonly number[], now: number, windowMs: number): number[] {
  return slots.filter((slot) => slot > now - windowMs && slot <= now).sort((a, b) => a - b);
}

export function quotaState(
  slots: readonly number[],
  now: number,
  limit: number,
  windowMs: number,
): QuotaState {
  const active = slotsInWindow(slots, now, windowMs);
  const oldest = active[0];
  return {
    limit,
    used: active.length,
    remaining: Math.max(0, limit - active.length),
    resets_at: oldest === undefined ? null : new Date(oldest + windowMs).toISOString(),
  };
}

export type TakeOutcome =
  | { allowed: true; slots: number[]; state: QuotaState }
  | { allowed: false; retryAfterSeconds: number; state: QuotaState };

/**
 * Whether one more submission fits at `now`, and the slots to store if it does. When it does
 * not, the wait is until the oldest slot that must leave the window for one to free up.
 */
export function takeSlot(
  slots: readonly number[],
  now: number,
  limit: number,
  windowMs: number,
): TakeOutcome {
  const active = slotsInWindow(slots, now, windowMs);
  if (active.length < limit) {
    const taken = [...active, now];
    return { allowed: true, slots: taken, state: quotaState(taken, now, limit, windowMs) };
  }
  // With `limit` slots in the window, one frees when the (used - limit + 1)-th oldest leaves.
  const freeing = active[active.length - limit] ?? now;
  return {
    allowed: false,
    retryAfterSeconds: Math.max(1, Math.ceil((freeing + windowMs - now) / 1000)),
    state: quotaState(active, now, limit, windowMs),
  };
}
