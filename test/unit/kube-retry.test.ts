import { describe, expect, it } from 'vitest'
import { backoffMs, DEFAULT_RETRY, isTransient, retryAfterMs, withRetry } from '../../src/kube/retry.js'

const apiError = (code: number, headers: Record<string, string> = {}) => Object.assign(new Error(`HTTP ${code}`), { code, headers, body: '{"kind":"Status"}' })
const fast = { attempts: 4, baseDelayMs: 1, maxDelayMs: 4, maxRetryAfterMs: 50 }

describe('what is retried', () => {
  it('server errors, throttling and dropped connections; never answers about the request itself', () => {
    for (const code of [429, 500, 502, 503, 504]) expect(isTransient(apiError(code))).toBe(true)
    for (const code of [400, 401, 403, 404, 409, 410, 422]) expect(isTransient(apiError(code))).toBe(false)
    expect(isTransient(Object.assign(new Error('request to https://x failed'), { cause: { code: 'ECONNRESET' } }))).toBe(true)
    expect(isTransient(new Error('socket hang up'))).toBe(true)
    expect(isTransient(new Error('container "x" not found'))).toBe(false)
  })
})

describe('backoff', () => {
  it('grows exponentially with full jitter, capped', () => {
    expect(backoffMs(1, DEFAULT_RETRY, apiError(500), () => 1)).toBe(200)
    expect(backoffMs(3, DEFAULT_RETRY, apiError(500), () => 1)).toBe(800)
    expect(backoffMs(9, DEFAULT_RETRY, apiError(500), () => 1)).toBe(3_200)
    expect(backoffMs(3, DEFAULT_RETRY, apiError(500), () => 0.25)).toBe(200)
  })

  it('honours Retry-After when the server asks for longer, up to a bound', () => {
    expect(retryAfterMs(apiError(429, { 'retry-after': '2' }))).toBe(2_000)
    expect(retryAfterMs(apiError(503, { 'retry-after': new Date(Date.now() + 5_000).toUTCString() }))).toBeGreaterThan(3_000)
    expect(backoffMs(1, DEFAULT_RETRY, apiError(429, { 'retry-after': '2' }), () => 0)).toBe(2_000)
    expect(backoffMs(1, DEFAULT_RETRY, apiError(429, { 'retry-after': '3600' }), () => 0)).toBe(10_000)
  })
})

describe('withRetry', () => {
  it('retries a transient failure until it succeeds', async () => {
    let calls = 0
    const value = await withRetry(async () => {
      calls++
      if (calls < 3) throw apiError(503)
      return 'ok'
    }, { policy: fast })
    expect(value).toBe('ok')
    expect(calls).toBe(3)
  })

  it('gives up after the attempts with the last error, and at once on a non-transient one', async () => {
    let calls = 0
    await expect(withRetry(async () => {
      calls++
      throw apiError(500)
    }, { policy: fast })).rejects.toThrow('HTTP 500')
    expect(calls).toBe(4)
    calls = 0
    await expect(withRetry(async () => {
      calls++
      throw apiError(409)
    }, { policy: fast })).rejects.toThrow('HTTP 409')
    expect(calls).toBe(1)
  })
})
