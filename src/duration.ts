// Durations as people type them on the command line (`--bake 2m`, `--timeout 1m30s`, `--lease 500ms`).
// The grammar is a strict subset of Go's time.ParseDuration, so values read the same in mkt, kubectl and
// client-go: one or more `<number><unit>` terms, units h, m, s, ms, largest first, each at most once.

const UNIT_MS = { h: 3_600_000, m: 60_000, s: 1_000, ms: 1 } as const
type Unit = keyof typeof UNIT_MS
const UNITS_LARGEST_FIRST: Unit[] = ['h', 'm', 's', 'ms']

export class DurationError extends Error {
  constructor(
    readonly input: string,
    readonly reason: string,
  ) {
    super(`invalid duration "${input}": ${reason}`)
    this.name = 'DurationError'
  }
}

// `ms` must come before `m` in the alternation, or "500ms" would read as 500m + "s".
const TERM = /(\d+(?:\.\d+)?|\.\d+)(ms|h|m|s)?/y

/**
 * Parses `500ms`, `30s`, `5m`, `1h`, `1m30s`, `1.5s` (and a bare `0`) into whole milliseconds.
 * Throws DurationError naming what is wrong: a missing unit, an unknown unit, units out of order or repeated,
 * a negative value, or precision below a millisecond.
 */
export function parseDuration(input: string): number {
  const text = input
  if (text.trim() === '') throw new DurationError(input, 'empty; use a number and a unit, like 30s, 5m or 1m30s')
  if (/\s/.test(text)) throw new DurationError(input, 'contains whitespace; write it without spaces, like 1m30s')
  if (text.startsWith('-')) throw new DurationError(input, 'must not be negative')
  if (text === '0') return 0

  let total = 0
  let position = 0
  let previousUnitIndex = -1
  while (position < text.length) {
    TERM.lastIndex = position
    const match = TERM.exec(text)
    if (!match) {
      throw new DurationError(input, `unexpected "${text.slice(position)}"; expected a number followed by h, m, s or ms`)
    }
    const [term, number, unit] = match
    if (unit === undefined) {
      const rest = text.slice(position + term.length)
      const word = /^[^\d.]+/.exec(rest)?.[0]
      throw new DurationError(
        input,
        rest === ''
          ? `missing unit after "${number}"; use h, m, s or ms (like ${number}s)`
          : word !== undefined
            ? `unknown unit "${word}" after "${number}"; use h, m, s or ms`
            : `unexpected "${rest}" after "${number}"; expected a unit (h, m, s or ms)`,
      )
    }
    const unitIndex = UNITS_LARGEST_FIRST.indexOf(unit as Unit)
    if (unitIndex === previousUnitIndex) throw new DurationError(input, `unit "${unit}" appears twice`)
    if (unitIndex < previousUnitIndex) {
      throw new DurationError(input, `units must go from largest to smallest (h, m, s, ms); "${unit}" comes too late`)
    }
    previousUnitIndex = unitIndex
    total += Number(number) * UNIT_MS[unit as Unit]
    position += term.length
  }

  // Decimal terms like 0.0005s can't be represented in whole milliseconds; round-off would hide a typo.
  const rounded = Math.round(total)
  if (Math.abs(total - rounded) > 1e-6) throw new DurationError(input, 'is more precise than a millisecond')
  if (!Number.isSafeInteger(rounded)) throw new DurationError(input, 'is too large')
  return rounded
}

/**
 * Formats milliseconds the way parseDuration reads them: `0s`, `500ms`, `1.5s`, `1m30s`, `2h`, `1h0m5s` is
 * written `1h5s`. Round-trips: parseDuration(formatDuration(ms)) === ms for whole non-negative ms.
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms)
  if (ms < 0) return `-${formatDuration(-ms)}`
  const whole = Math.round(ms)
  if (whole === 0) return '0s'
  if (whole < 1000) return `${whole}ms`

  const hours = Math.floor(whole / UNIT_MS.h)
  const minutes = Math.floor((whole % UNIT_MS.h) / UNIT_MS.m)
  const millisOfMinute = whole % UNIT_MS.m
  const seconds = millisOfMinute / 1000 // may carry a fraction: 1500 ms → "1.5s"

  let text = ''
  if (hours > 0) text += `${hours}h`
  if (minutes > 0) text += `${minutes}m`
  if (millisOfMinute > 0) text += `${Number(seconds.toFixed(3))}s`
  return text
}
