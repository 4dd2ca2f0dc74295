// Decisions for mkt's rollout lock: one coordination.k8s.io/v1 Lease per component and environment
// (shared/reference/k8s.md §3.10). The I/O around it is client-go's protocol — GET; NotFound → create
// (AlreadyExists = lost the race); otherwise update with the read resourceVersion (Conflict = lost the race) —
// and this module decides what to do with what was read.
//
// Expiry: a lease is stale when renewTime + leaseDurationSeconds + skew < now. client-go's long-running
// electors measure expiry from their own observation time to be immune to clock skew; a CLI that looks once
// cannot, so it adds a skew margin instead and trusts renewTime. The margin errs towards waiting: taking over a
// live holder's lock is the failure that matters.

import type { V1Lease } from '@kubernetes/client-node'

export type LeaseDecision =
  | { action: 'create' }
  | { action: 'renew' }
  /** Nobody holds it: released (no holder) or the holder stopped renewing. */
  | { action: 'acquire-expired'; previousHolder?: string; expiredAt?: number; released: boolean }
  | { action: 'held-by-other'; holder: string; since?: number; renewedAt?: number; expiresAt: number }

export interface LeaseDecisionOptions {
  /** This process's holderIdentity. */
  identity: string
  now: number
  /** Our lease duration; also assumed for a lease that does not state one. */
  durationSeconds: number
  /** Allowance for clock difference between the holder's machine and ours. */
  skewMs: number
}

/** The lease spec mkt writes. Times are MicroTime strings, which client-node passes through unchanged. */
export interface LeaseSpecBody {
  holderIdentity?: string
  leaseDurationSeconds: number
  acquireTime: string
  renewTime: string
  leaseTransitions: number
}

/** What to do with the lease as read (undefined = GET answered NotFound). */
export function leaseDecision(lease: V1Lease | undefined, options: LeaseDecisionOptions): LeaseDecision {
  if (lease === undefined) return { action: 'create' }
  const spec = lease.spec ?? {}
  const holder = spec.holderIdentity
  if (holder === undefined || holder === '') return { action: 'acquire-expired', released: true }
  if (holder === options.identity) return { action: 'renew' }

  const since = leaseTime(spec.acquireTime)
  const renewedAt = leaseTime(spec.renewTime) ?? since
  if (renewedAt === undefined) {
    // A holder that never wrote a time cannot be alive and renewing: take it over.
    return { action: 'acquire-expired', previousHolder: holder, released: false }
  }
  const durationMs = (spec.leaseDurationSeconds ?? options.durationSeconds) * 1000
  const expiresAt = renewedAt + durationMs
  if (expiresAt + options.skewMs < options.now) {
    return { action: 'acquire-expired', previousHolder: holder, expiredAt: expiresAt, released: false }
  }
  return { action: 'held-by-other', holder, expiresAt, ...(since === undefined ? {} : { since }), renewedAt }
}

/**
 * The spec to write for a decision (undefined for held-by-other: nothing to write). Takeovers count a
 * transition; renewals keep acquireTime.
 */
export function nextLeaseSpec(
  lease: V1Lease | undefined,
  decision: LeaseDecision,
  options: { identity: string; now: number; durationSeconds: number },
): LeaseSpecBody | undefined {
  const now = microTime(options.now)
  const base = { holderIdentity: options.identity, leaseDurationSeconds: options.durationSeconds, renewTime: now }
  const transitions = lease?.spec?.leaseTransitions ?? 0
  switch (decision.action) {
    case 'create':
      return { ...base, acquireTime: now, leaseTransitions: 0 }
    case 'acquire-expired':
      return { ...base, acquireTime: now, leaseTransitions: transitions + 1 }
    case 'renew': {
      const acquired = leaseTime(lease?.spec?.acquireTime)
      return { ...base, acquireTime: acquired === undefined ? now : microTime(acquired), leaseTransitions: transitions }
    }
    case 'held-by-other':
      return undefined
  }
}

/**
 * The spec that releases the lock (client-go's release: no holder, 1 s duration), for an update with the read
 * resourceVersion; deleting with a resourceVersion precondition is the alternative.
 */
export function releasedLeaseSpec(lease: V1Lease, now: number): LeaseSpecBody {
  return { leaseDurationSeconds: 1, acquireTime: microTime(now), renewTime: microTime(now), leaseTransitions: lease.spec?.leaseTransitions ?? 0 }
}

/** How often to renew: a third of the duration, as client-go's defaults (15 s lease, renew well before 10 s). */
export const renewIntervalMs = (durationSeconds: number): number => Math.max(1, Math.floor((durationSeconds * 1000) / 3))

/**
 * Kubernetes MicroTime: RFC 3339 UTC with exactly 6 fractional digits (`2026-11-02T10:00:00.123000Z`). A real
 * API server rejects the 3 digits of Date#toISOString.
 */
export function microTime(date: Date | number): string {
  const iso = new Date(typeof date === 'number' ? date : date.getTime()).toISOString()
  return `${iso.slice(0, -1)}000Z`
}

/** Reads a lease time: a V1MicroTime/Date from typed code, or the string client-node leaves in place. */
export function leaseTime(value: Date | string | null | undefined): number | undefined {
  if (value === null || value === undefined) return undefined
  const ms = value instanceof Date ? value.getTime() : Date.parse(value)
  return Number.isNaN(ms) ? undefined : ms
}

export interface HolderParts {
  user: string
  host: string
  pid: number
  /** The pipeline run when in CI (GitHub run id, Azure DevOps build id). */
  ciRunId?: string
}

/**
 * `alice@build-7/4242`, or `ci@agent-3/77/run-12345` in a pipeline: who to ask, on which machine, which process.
 * The pid makes two terminals of one person different holders. Characters that would make the identity
 * ambiguous to read back (whitespace, "/" in user or host) become "-".
 */
export function holderIdentity(parts: HolderParts): string {
  const clean = (text: string) => text.trim().replace(/[\s/]+/g, '-') || 'unknown'
  const run = parts.ciRunId === undefined || parts.ciRunId.trim() === '' ? '' : `/run-${clean(parts.ciRunId)}`
  return `${clean(parts.user)}@${clean(parts.host).replace(/@/g, '-')}/${parts.pid}${run}`
}

/** Reads back an identity written by holderIdentity; undefined for identities written by something else. */
export function parseHolderIdentity(identity: string): HolderParts | undefined {
  const match = /^(.+)@([^@/]+)\/(\d+)(?:\/run-(.+))?$/.exec(identity)
  if (match === null) return undefined
  return { user: match[1]!, host: match[2]!, pid: Number(match[3]), ...(match[4] === undefined ? {} : { ciRunId: match[4] }) }
}

/** `mkt-lock-<environment>-<component>`: a valid object name (lowercase, ≤ 253, alphanumeric ends). */
export function leaseNameFor(environment: string, component: string): string {
  const name = `mkt-lock-${environment}-${component}`
    .toLowerCase()
    .replace(/[^a-z0-9.-]+/g, '-')
    .slice(0, 253)
  return name.replace(/[^a-z0-9]+$/, '')
}

/** One line for exit 73: who holds the lock, since when, and when it lapses if not renewed. */
export function describeHeldLease(decision: Extract<LeaseDecision, { action: 'held-by-other' }>, now: number): string {
  const since = decision.since === undefined ? '' : ` since ${new Date(decision.since).toISOString()}`
  const left = Math.max(0, Math.ceil((decision.expiresAt - now) / 1000))
  return `held by ${decision.holder}${since} (expires in ${left}s unless renewed)`
}

/** What an operator can do about a lock held by someone else: the same on every runtime. */
export function lockedHints(component: string, environment: string): string[] {
  return [
    'Wait for that operation to finish (or for the lock to expire), or ask its holder.',
    `If it is stuck: mkt lock break ${component} --env ${environment} --reason "<why>"`,
    // The migrations lock guards no Deployment, so there is nothing to roll back.
    ...(component === 'migrations' ? [] : [`Or break it and restore the previous release in one step: mkt rollback ${component} --env ${environment} --force-unlock --reason "<why>"`]),
  ]
}
