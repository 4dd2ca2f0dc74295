import { Flags } from '@oclif/core'
import { DurationError, parseDuration } from '../duration.js'

/** A duration flag (`500ms`, `30s`, `5m`, `1m30s`) parsed to milliseconds; a bad value is a usage error (64). */
export const durationFlag = Flags.custom<number>({
  helpValue: '<duration>',
  parse: async (input) => {
    try {
      return parseDuration(input)
    } catch (error) {
      throw new Error(error instanceof DurationError ? error.message : `invalid duration "${input}"`, { cause: error })
    }
  },
})
