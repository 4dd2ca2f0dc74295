// Retrying what is safe to retry against the Kubernetes API: idempotent reads, patches that set values (never
// increment) or carry a precondition, and watch restarts. Bounded exponential backoff with full jitter, and a
// server's Retry-After (429/503) honoured when it asks for longer. What is retried: network failures, 429, 500,
// 502, 503, 504. What is not: 4xx answers about the request itself (400, 401, 403, 404, 409, 410, 422).
import { setTimeout as sleep } from 'node:timers/promises'
import { kubeStatusOf } from './errors.js'

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  attempts: number
  /** Backoff cap for attempt n is min(maxDelayMs, baseDelayMs * 2^(n-1)); the delay is a random share of it. */
  baseDelayMs: number
  maxDelayMs: number
  /** Longest Retry-After honoured (a server asking for more is cut to this). */
  maxRetryAfterMs: number
}

/**
 * About 10 s of retrying in all (200 ms, 400, 800, 1.6 s, 3.2 s, 3.2 s caps): longer than a control-plane
 * blip or an API server restart behind a load balancer, shorter than any gate's budget.
 */
export const DEFAULT_RETRY: RetryPolicy = { attempts: 7, baseDelayMs: 200, maxDelayMs: 3_200, maxRetryAfterMs: 10_000 }

const RETRIED_STATUS = new Set([429, 500, 502, 503, 504])
const NETWORK = /ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|EAI_AGAIN|EHOSTUNREACH|socket hang up|UND_ERR_SOCKET|network|premature close|aborted/i

/** True when the failure says nothing about the request itself: the same request may succeed later. */
export function isTransient(error: unknown): boolean {
  const { code } = kubeStatusOf(error)
  if (typeof code === 'number' && code > 0) return RETRIED_STATUS.has(code)
  let e = error as { code?: unknown; message?: unknown; cause?: unknown } | undefined
  for (let depth = 0; e && depth < 5; depth++) {
    if (typeof e.code === 'string' && NETWORK.test(e.code)) return true
    if (typeof e.message === 'string' && NETWORK.test(e.message)) return true
    e = e.cause as typeof e
  }
  return false
}

/** Retry-After of an ApiException or raw answer, in ms (seconds or an HTTP date), when present. */
export function retryAfterMs(error: unknown, now = Date.now()): number | undefined {
  const headers = (error as { headers?: Record<string, string | string[] | undefined> } | undefined)?.headers
  const raw = headers?.['retry-after'] ?? headers?.['Retry-After']
  const text = Array.isArray(raw) ? raw[0] : raw
  if (text === undefined || text.trim() === '') return undefined
  if (/^\d+$/.test(text.trim())) return Number(text.trim()) * 1000
  const date = Date.parse(text)
  return Number.isNaN(date) ? undefined : Math.max(0, date - now)
}

/** The wait before attempt `attempt + 1` (attempt counts from 1): full jitter, or Retry-After when longer. */
export function backoffMs(attempt: number, policy: RetryPolicy, error: unknown, random: () => number = Math.random): number {
  const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1))
  const jittered = Math.round(cap * random())
  const asked = retryAfterMs(error)
  return asked === undefined ? jittered : Math.max(jittered, Math.min(asked, policy.maxRetryAfterMs))
}

export interface RetryOptions {
  policy?: RetryPolicy
  signal?: AbortSignal
  /** Called before each wait (for a progress line). */
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void
  /** Whether an error is worth another attempt (default isTransient). */
  retryable?: (error: unknown) => boolean
  random?: () => number
}

/** Runs `operation` until it succeeds, fails with a non-transient error, or the attempts run out (last error thrown). */
export async function withRetry<T>(operation: (attempt: number) => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const policy = options.policy ?? DEFAULT_RETRY
  const retryable = options.retryable ?? isTransient
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation(attempt)
    } catch (error) {
      if (attempt >= policy.attempts || !retryable(error) || options.signal?.aborted) throw error
      const delay = backoffMs(attempt, policy, error, options.random)
      options.onRetry?.(error, attempt, delay)
      await sleep(delay, undefined, options.signal ? { signal: options.signal } : undefined).catch(() => undefined)
      if (options.signal?.aborted) throw error
    }
  }
}
