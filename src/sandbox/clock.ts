// The sandbox's clock and the API's time formats. Shared by the store, the API server and the
// controllers (controllers/* import Clock, AdjustableClock, isAdjustableClock, formatTime, parseTime
// from here). Real time plus an offset that tests advance to exercise progressDeadlineSeconds and
// minReadySeconds without waiting.
import type { Clock } from './types.js'

export type { Clock } from './types.js'

export interface AdjustableClock extends Clock {
  /** Jumps forward by `ms`; listeners are told so timers can re-check deadlines. */
  advance(ms: number): void
  onAdvance(listener: (offsetMs: number) => void): () => void
}

export function isAdjustableClock(clock: Clock): clock is AdjustableClock {
  const candidate = clock as Partial<AdjustableClock>
  return typeof candidate.advance === 'function' && typeof candidate.onAdvance === 'function'
}

export class SandboxClock implements AdjustableClock {
  private offsetMs = 0
  private readonly listeners = new Set<(offsetMs: number) => void>()

  now(): number {
    return Date.now() + this.offsetMs
  }

  /** How far ahead of real time this clock runs. */
  get offset(): number {
    return this.offsetMs
  }

  advance(ms: number): void {
    if (!(ms > 0)) return
    this.offsetMs += ms
    for (const listener of [...this.listeners]) listener(this.offsetMs)
  }

  onAdvance(listener: (offsetMs: number) => void): () => void {
    this.listeners.add(listener)
    return () => {
      this.listeners.delete(listener)
    }
  }
}

/** RFC3339 with second precision, the wire form of metav1.Time: `2026-11-26T23:58:00Z`. */
export function formatTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z')
}

/** RFC3339 with microseconds, the wire form of metav1.MicroTime: `2026-11-26T23:58:00.123000Z`. */
export function formatMicroTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z')
}

/** Milliseconds of an RFC3339 time; undefined when absent or unparsable. */
export function parseTime(value: string | null | undefined): number | undefined {
  if (value === undefined || value === null || value === '') return undefined
  const ms = Date.parse(value)
  return Number.isNaN(ms) ? undefined : ms
}
