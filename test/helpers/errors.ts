import type { MktError } from '../../src/errors.js'

/** The MktError a function throws (fails the test when it throws nothing). */
export function errorOf(fn: () => unknown): MktError {
  try {
    fn()
  } catch (error) {
    return error as MktError
  }
  throw new Error('expected an error')
}

/** The MktError an async function rejects with (fails the test when it resolves). */
export async function rejectionOf(fn: () => Promise<unknown>): Promise<MktError> {
  try {
    await fn()
  } catch (error) {
    return error as MktError
  }
  throw new Error('expected a rejection')
}
