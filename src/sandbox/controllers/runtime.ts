// The machinery under the controllers: a de-duplicating work queue (client-go's workqueue in
// miniature) and clock-based timers. Store events enqueue keys; a queue drains on the next macrotask,
// so a controller never writes from inside another write's notification, and a burst of events for
// one object costs one sync.
import type { AdjustableClock, Clock } from '../clock.js'
import { isAdjustableClock } from '../clock.js'

export type SyncFunction = (key: string) => void

export interface Logger {
  (message: string, error?: unknown): void
}

/** Retry delays after a failed sync: 5 ms doubling, capped at 5 s (client-go uses 5 ms … 1000 s). */
function retryDelayMs(failures: number): number {
  return Math.min(5 * 2 ** Math.max(0, failures - 1), 5000)
}

export class WorkQueue {
  private readonly pending = new Set<string>()
  private readonly failures = new Map<string, number>()
  private scheduled = false
  private stopped = false

  constructor(
    readonly name: string,
    private readonly sync: SyncFunction,
    private readonly timers: Timers,
    private readonly log: Logger,
  ) {}

  add(key: string): void {
    if (this.stopped) return
    this.pending.add(key)
    if (!this.scheduled) {
      this.scheduled = true
      setImmediate(() => this.drain())
    }
  }

  /** Adds the key at clock time `at` (replacing a later pending timer for it, keeping an earlier one). */
  addAt(key: string, at: number): void {
    this.timers.at(`${this.name}:${key}`, at, () => this.add(key))
  }

  stop(): void {
    this.stopped = true
    this.pending.clear()
  }

  private drain(): void {
    this.scheduled = false
    // Keys added while draining are processed in the next round, after other I/O had a chance.
    const keys = [...this.pending]
    this.pending.clear()
    for (const key of keys) {
      if (this.stopped) return
      try {
        this.sync(key)
        this.failures.delete(key)
      } catch (error) {
        const failures = (this.failures.get(key) ?? 0) + 1
        this.failures.set(key, failures)
        if (failures === 1 || failures % 20 === 0) this.log(`${this.name}: sync ${key} failed (attempt ${failures}), retrying`, error)
        this.timers.after(`${this.name}:retry:${key}`, retryDelayMs(failures), () => this.add(key))
      }
    }
  }
}

interface Timer {
  at: number
  fire: () => void
  handle?: NodeJS.Timeout
}

/**
 * One-shot timers keyed by name and due at a clock time. A key holds its earliest due time. When an
 * adjustable clock jumps forward, every timer is re-armed against the new time, so a test can move
 * past a 10-minute progress deadline at once.
 */
export class Timers {
  private readonly timers = new Map<string, Timer>()
  private readonly unsubscribe?: () => void
  private stopped = false

  constructor(private readonly clock: Clock) {
    if (isAdjustableClock(clock)) this.unsubscribe = (clock as AdjustableClock).onAdvance(() => this.rearmAll())
  }

  now(): number {
    return this.clock.now()
  }

  /** Fires `fire` at clock time `at`, unless the key already has an earlier timer. */
  at(key: string, at: number, fire: () => void): void {
    if (this.stopped) return
    const existing = this.timers.get(key)
    if (existing && existing.at <= at) return
    if (existing?.handle) clearTimeout(existing.handle)
    const timer: Timer = { at, fire }
    this.timers.set(key, timer)
    this.arm(key, timer)
  }

  after(key: string, delayMs: number, fire: () => void): void {
    this.at(key, this.clock.now() + delayMs, fire)
  }

  cancel(key: string): void {
    const existing = this.timers.get(key)
    if (existing?.handle) clearTimeout(existing.handle)
    this.timers.delete(key)
  }

  stop(): void {
    this.stopped = true
    this.unsubscribe?.()
    for (const timer of this.timers.values()) if (timer.handle) clearTimeout(timer.handle)
    this.timers.clear()
  }

  private arm(key: string, timer: Timer): void {
    const delay = Math.max(0, timer.at - this.clock.now())
    timer.handle = setTimeout(() => {
      if (this.timers.get(key) !== timer) return
      // Timers can fire a little early relative to a clock that is not Date.now(); re-arm if so.
      if (this.clock.now() < timer.at) return this.arm(key, timer)
      this.timers.delete(key)
      timer.fire()
    }, delay)
    timer.handle.unref?.()
  }

  private rearmAll(): void {
    for (const [key, timer] of this.timers) {
      if (timer.handle) clearTimeout(timer.handle)
      this.arm(key, timer)
    }
  }
}
