import { Flags } from '@oclif/core'
import { DurationError, formatDuration, parseDuration } from '../duration.js'

const parseWith = (positive: boolean) => async (input: string) => {
  let ms: number
  try {
    ms = parseDuration(input)
  } catch (error) {
    throw new Error(error instanceof DurationError ? error.message : `invalid duration "${input}"`, { cause: error })
  }
  if (positive && ms === 0) throw new Error(`invalid duration "${input}": must be more than 0 (a timeout of 0 could never be met)`)
  return ms
}

/** `--help` shows a default the way it is typed (`10s`), not in milliseconds. */
const defaultHelp = async ({ options }: { options: { default?: unknown } }) => (typeof options.default === 'number' ? formatDuration(options.default) : undefined)

/** A duration flag (`500ms`, `30s`, `5m`, `1m30s`) parsed to milliseconds; a bad value is a usage error (64). */
export const durationFlag = Flags.custom<number>({ helpValue: '<duration>', parse: parseWith(false), defaultHelp })

/** A timeout or interval: like durationFlag, and 0 is refused (64) rather than failing every wait at once. */
export const timeoutFlag = Flags.custom<number>({ helpValue: '<duration>', parse: parseWith(true), defaultHelp })
