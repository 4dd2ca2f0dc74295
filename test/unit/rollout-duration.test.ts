import { describe, expect, it } from 'vitest'
import { DurationError, formatDuration, parseDuration } from '../../src/duration.js'

const reasonOf = (input: string): string => {
  try {
    parseDuration(input)
  } catch (error) {
    expect(error).toBeInstanceOf(DurationError)
    return (error as DurationError).message
  }
  throw new Error(`expected "${input}" to be rejected`)
}

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['1m30s', 90_000],
    ['1h2m3s4ms', 3_723_004],
    ['1.5s', 1_500],
    ['.5s', 500],
    ['0s', 0],
    ['0', 0],
  ])('%s → %i ms', (input, ms) => {
    expect(parseDuration(input)).toBe(ms)
  })

  it.each([
    ['', 'invalid duration "": empty; use a number and a unit, like 30s, 5m or 1m30s'],
    ['30', 'invalid duration "30": missing unit after "30"; use h, m, s or ms (like 30s)'],
    ['1m30', 'invalid duration "1m30": missing unit after "30"; use h, m, s or ms (like 30s)'],
    ['5d', 'invalid duration "5d": unknown unit "d" after "5"; use h, m, s or ms'],
    ['5 m', 'invalid duration "5 m": contains whitespace; write it without spaces, like 1m30s'],
    ['-5s', 'invalid duration "-5s": must not be negative'],
    ['30s1m', 'invalid duration "30s1m": units must go from largest to smallest (h, m, s, ms); "m" comes too late'],
    ['5s5s', 'invalid duration "5s5s": unit "s" appears twice'],
    ['0.5ms', 'invalid duration "0.5ms": is more precise than a millisecond'],
    ['1.s', 'invalid duration "1.s": unexpected ".s" after "1"; expected a unit (h, m, s or ms)'],
    ['m', 'invalid duration "m": unexpected "m"; expected a number followed by h, m, s or ms'],
  ])('rejects %j precisely', (input, message) => {
    expect(reasonOf(input)).toBe(message)
  })
})

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [500, '500ms'],
    [1_000, '1s'],
    [1_500, '1.5s'],
    [90_000, '1m30s'],
    [3_600_000, '1h'],
    [3_605_000, '1h5s'],
    [3_723_004, '1h2m3.004s'],
    [-2_000, '-2s'],
  ])('%i ms → %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text)
  })

  it('round-trips through parseDuration', () => {
    for (const ms of [0, 1, 999, 1_000, 1_001, 59_999, 60_000, 61_500, 3_599_999, 7_200_000, 86_400_123]) {
      expect(parseDuration(formatDuration(ms))).toBe(ms)
    }
  })
})
