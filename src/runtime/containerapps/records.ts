// What mkt keeps on a container app, and how it reads revisions: pure functions, no I/O.
//
// Container Apps revisions are immutable and carry no annotations, so mkt's records live in the app's ARM tags:
//   mkt-lock                 the deploy lock: {"h": holder, "op", "r": reason, "at": acquired, "exp": lease end}
//   mkt-lock-broken          the last `mkt lock break` (or rollback --force-unlock): {"by", "at", "h": holder it
//                            had, "r": why}; Container Apps has no Events, so this is where the break is audited
//   mkt-release.<revision>   one release record per revision: {"v": verdict, "vr": why, "by", "at", "r": reason,
//                            "sha", "run"}; a revision without one is `external` (made by someone else).
// ARM tag values hold at most 256 characters: the free-text fields are shortened to fit; at most 50 tags per
// resource, so records of revisions that no longer exist are dropped, and only the newest MAX_RECORDS are kept.
import type { ContainerApp, Replica, Revision } from '@azure/arm-appcontainers'
import type { HealthJudgement } from '../../health/healthchecks.js'
import type { GateResult } from '../../rollout/gates.js'
import type { ReleaseEntry } from '../../rollout/history.js'
import { isVerdict, type Verdict } from '../../rollout/objects.js'

export const LOCK_TAG = 'mkt-lock'
export const LOCK_BROKEN_TAG = 'mkt-lock-broken'
export const RELEASE_TAG_PREFIX = 'mkt-release.'
const TAG_VALUE_MAX = 256
export const MAX_RECORDS = 40

export interface LockRecord {
  holder: string
  operation: string
  reason?: string
  acquiredAt: string
  expiresAt: string
}

export interface ReleaseRecord {
  verdict: Verdict
  verdictReason?: string
  deployedBy?: string
  deployedAt?: string
  reason?: string
  gitSha?: string
  runUrl?: string
}

/** JSON of `fields` within the tag limit, shortening the `shrinkable` fields (longest first) as needed. */
function fitTag(fields: Record<string, string | undefined>, shrinkable: string[]): string {
  const present = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as Record<string, string>
  let json = JSON.stringify(present)
  while (json.length > TAG_VALUE_MAX) {
    const key = shrinkable.filter((k) => (present[k]?.length ?? 0) > 0).sort((a, b) => present[b]!.length - present[a]!.length)[0]
    if (key === undefined) break
    const value = present[key]!
    present[key] = value.length > 8 ? `${value.slice(0, Math.max(0, value.length - (json.length - TAG_VALUE_MAX) - 1))}…` : ''
    json = JSON.stringify(present)
  }
  return json
}

function parseJsonObject(value: string | undefined): Record<string, unknown> | undefined {
  if (value === undefined) return undefined
  try {
    const parsed = JSON.parse(value) as unknown
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined
  } catch {
    return undefined
  }
}

const str = (value: unknown) => (typeof value === 'string' && value.length > 0 ? value : undefined)

export function encodeLock(lock: LockRecord): string {
  return fitTag({ h: lock.holder, op: lock.operation, r: lock.reason, at: lock.acquiredAt, exp: lock.expiresAt }, ['r', 'op'])
}

export function parseLock(value: string | undefined): LockRecord | undefined {
  const json = parseJsonObject(value)
  const holder = str(json?.h)
  const acquiredAt = str(json?.at)
  const expiresAt = str(json?.exp)
  if (!json || !holder || !acquiredAt || !expiresAt) return undefined
  return { holder, operation: str(json.op) ?? '', ...(str(json.r) ? { reason: str(json.r)! } : {}), acquiredAt, expiresAt }
}

export interface LockBreakRecord {
  brokenBy: string
  brokenAt: string
  holder: string
  reason: string
}

export function encodeLockBreak(record: LockBreakRecord): string {
  return fitTag({ by: record.brokenBy, at: record.brokenAt, h: record.holder, r: record.reason }, ['r'])
}

export function encodeRecord(record: ReleaseRecord): string {
  return fitTag({ v: record.verdict, vr: record.verdictReason, by: record.deployedBy, at: record.deployedAt, r: record.reason, sha: record.gitSha, run: record.runUrl }, ['vr', 'r', 'run'])
}

export function parseRecord(value: string | undefined): ReleaseRecord | undefined {
  const json = parseJsonObject(value)
  if (!json || !isVerdict(json.v)) return undefined
  const optional = { verdictReason: str(json.vr), deployedBy: str(json.by), deployedAt: str(json.at), reason: str(json.r), gitSha: str(json.sha), runUrl: str(json.run) }
  return { verdict: json.v, ...(Object.fromEntries(Object.entries(optional).filter(([, v]) => v !== undefined)) as Partial<ReleaseRecord>) }
}

export const recordTag = (revisionName: string) => `${RELEASE_TAG_PREFIX}${revisionName}`

/**
 * The tag changes (a JSON merge patch of `tags`) that set `revision`'s record and drop records of revisions that
 * no longer exist, or beyond the newest MAX_RECORDS.
 */
export function recordTagsPatch(tags: Record<string, string> | undefined, revisionNames: readonly string[], revision: string, record: ReleaseRecord): Record<string, string | null> {
  const patch: Record<string, string | null> = { [recordTag(revision)]: encodeRecord(record) }
  const keep = new Set(revisionNames.slice(-MAX_RECORDS).map(recordTag))
  keep.add(recordTag(revision))
  for (const key of Object.keys(tags ?? {})) if (key.startsWith(RELEASE_TAG_PREFIX) && !keep.has(key)) patch[key] = null
  return patch
}

/** Revisions oldest first (the order of their numbers: revision N is the Nth the app still has). */
export function sortRevisions(revisions: readonly Revision[]): Revision[] {
  return [...revisions].sort((a, b) => (a.createdTime?.getTime() ?? 0) - (b.createdTime?.getTime() ?? 0) || (a.name ?? '').localeCompare(b.name ?? ''))
}

/** The image of the component's container in a revision (else its first container's). */
export function imageOf(template: { containers?: Array<{ name?: string; image?: string }> } | undefined, container: string): string | undefined {
  const containers = template?.containers ?? []
  return (containers.find((c) => c.name === container) ?? containers[0])?.image
}

/** The revision serving most of the traffic (the newest on a tie); without ingress, the newest active one. */
export function servingRevision(app: ContainerApp, revisions: readonly Revision[]): Revision | undefined {
  const sorted = sortRevisions(revisions)
  const weight = (r: Revision) => trafficWeight(app, r, sorted)
  const active = sorted.filter((r) => r.active)
  if (!app.configuration?.ingress) return active.at(-1)
  return [...active].reverse().reduce<Revision | undefined>((best, r) => (best === undefined || weight(r) > weight(best) ? r : best), undefined)
}

/** The traffic weight the app's ingress gives a revision (by name, or `latestRevision`). */
export function trafficWeight(app: ContainerApp, revision: Revision, sorted?: readonly Revision[]): number {
  const latest = app.latestRevisionName ?? (sorted ?? sortRevisions([revision])).at(-1)?.name
  return (app.configuration?.ingress?.traffic ?? []).reduce((sum, t) => sum + ((t.latestRevision && revision.name === latest) || t.revisionName === revision.name ? (t.weight ?? 0) : 0), 0)
}

/** The app's revisions as release history entries: the same shape `mkt history` shows for Deployments. */
export function containerAppHistory(app: ContainerApp, revisions: readonly Revision[], container: string): ReleaseEntry[] {
  const sorted = sortRevisions(revisions)
  const serving = servingRevision(app, sorted)
  return sorted.map((r, index) => {
    const record = parseRecord(app.tags?.[recordTag(r.name ?? '')])
    const image = imageOf(r.template, container)
    return {
      revision: index + 1,
      replicaSet: r.name ?? '',
      ...(image ? { image } : {}),
      images: (r.template?.containers ?? []).map((c) => ({ container: c.name ?? '', image: c.image ?? '' })),
      ...(r.createdTime ? { createdAt: r.createdTime.toISOString() } : {}),
      ...(record?.deployedBy ? { deployedBy: record.deployedBy } : {}),
      ...(record?.deployedAt ? { deployedAt: record.deployedAt } : {}),
      ...(record?.reason ? { reason: record.reason } : {}),
      ...(record?.gitSha ? { gitSha: record.gitSha } : {}),
      ...(record?.runUrl ? { runUrl: record.runUrl } : {}),
      verdict: record?.verdict ?? 'external',
      ...(record?.verdictReason ? { verdictReason: record.verdictReason } : {}),
      current: serving !== undefined && serving.name === r.name,
      formerRevisions: [],
      replicas: r.replicas ?? 0,
    }
  })
}

// ---- Gates ------------------------------------------------------------------------------------------------

export interface RevisionEvaluation {
  verdict: 'passed' | 'failed' | 'pending'
  reason: string
  gates: GateResult[]
  /** Things that pass but deserve a line (a Degraded readiness answer). */
  warnings?: string[]
}

const BACKOFF = /^(CrashLoopBackOff|ImagePullBackOff|ErrImagePull|CreateContainerError|OOMKilled)/
/** Restarts of one container that fail the release even between crash loops. */
export const RESTART_BURST = 3

/** A revision's readiness budget: its Readiness probe's period × failure threshold (Container Apps' defaults 10 s × 3). */
export function readinessBudgetMs(revision: Revision): number {
  const probe = revision.template?.containers?.flatMap((c) => c.probes ?? []).find((p) => p.type === 'Readiness')
  return 1000 * (probe?.periodSeconds ?? 10) * (probe?.failureThreshold ?? 3)
}

/**
 * The gates of a revision from one read of it and its replicas (bake is the caller's):
 *   progress   provisioned and running (a provisioning failure fails it)
 *   pods       no replica in a back-off (crash loop, image pull) or restart burst; passes when all are ready
 *   readiness  every replica's containers ready; one still not ready past the readiness budget + grace fails it
 */
export function evaluateRevision(revision: Revision, replicas: readonly Replica[], now: number, readyGraceMs: number): RevisionEvaluation {
  const name = revision.name ?? 'the revision'
  const gates: GateResult[] = []
  const containers = replicas.flatMap((replica) => (replica.containers ?? []).map((c) => ({ replica, c })))
  let progress: GateResult
  if (revision.provisioningState === 'Failed' || revision.runningState === 'Failed') {
    progress = { gate: 'progress', status: 'failed', reason: `${name} failed to provision: ${revision.provisioningError ?? revision.runningState}` }
  } else if (revision.provisioningState === 'Provisioned' && (revision.replicas ?? 0) > 0 && replicas.length > 0) {
    progress = { gate: 'progress', status: 'passed', reason: `${name} is provisioned with ${replicas.length} replica(s)` }
  } else {
    progress = { gate: 'progress', status: 'pending', reason: `${name} is ${String(revision.provisioningState ?? 'provisioning').toLowerCase()} (${revision.runningState ?? 'unknown'})` }
  }
  gates.push(progress)

  const backoff = containers.find(({ c }) => BACKOFF.test(c.runningStateDetails ?? ''))
  const burst = containers.find(({ c }) => (c.restartCount ?? 0) >= RESTART_BURST)
  const failing = backoff ?? burst
  const allReady = containers.length > 0 && containers.every(({ c }) => c.ready)
  gates.push(
    failing
      ? { gate: 'pods', status: 'failed', reason: `replica ${failing.replica.name}: ${failing.c.runningStateDetails || 'restarting'} (${failing.c.restartCount ?? 0} restarts)` }
      : allReady
        ? { gate: 'pods', status: 'passed', reason: `${containers.length} container(s) running, none restarting` }
        : { gate: 'pods', status: 'pending', reason: `${containers.filter(({ c }) => c.started).length}/${containers.length} container(s) started, ${containers.filter(({ c }) => c.ready).length} ready` },
  )

  const budget = readinessBudgetMs(revision) + readyGraceMs
  const stuck = containers.find(({ replica, c }) => c.started && !c.ready && now - (replica.createdTime?.getTime() ?? now) > budget)
  const ready = containers.filter(({ c }) => c.ready).length
  gates.push(
    stuck
      ? { gate: 'readiness', status: 'failed', reason: `replica ${stuck.replica.name} not ready after ${Math.round((now - stuck.replica.createdTime!.getTime()) / 1000)} s: ${stuck.c.runningStateDetails || 'readiness probe failing'}` }
      : allReady
        ? { gate: 'readiness', status: 'passed', reason: `${ready}/${containers.length} ready` }
        : { gate: 'readiness', status: 'pending', reason: `${ready}/${containers.length} ready${containers.find(({ c }) => c.started && !c.ready)?.c.runningStateDetails ? `: ${containers.find(({ c }) => c.started && !c.ready)!.c.runningStateDetails}` : ''}` },
  )
  const failed = gates.find((g) => g.status === 'failed')
  if (failed) return { verdict: 'failed', reason: failed.reason, gates }
  if (gates.every((g) => g.status === 'passed')) return { verdict: 'passed', reason: `${name}: ${gates.find((g) => g.gate === 'readiness')!.reason}`, gates }
  return { verdict: 'pending', reason: gates.find((g) => g.status === 'pending')!.reason, gates }
}

/**
 * Adds mkt's own probe of the revision's FQDN to the readiness gate: an Unhealthy answer holds a revision
 * Container Apps calls ready (pending), a failed readiness quotes the application's own answer, Degraded passes
 * with a warning.
 */
export function withProbe(evaluation: RevisionEvaluation, probe: { url: string; judgement: HealthJudgement } | undefined): RevisionEvaluation {
  if (!probe) return evaluation
  const said = `${probe.url}: ${probe.judgement.summary}`
  const readiness = evaluation.gates.find((g) => g.gate === 'readiness')
  if (!readiness) return evaluation
  if (evaluation.verdict === 'failed' && readiness.status === 'failed' && probe.judgement.health !== 'Healthy') {
    const reason = `${readiness.reason}; ${said}`
    return { ...evaluation, reason: evaluation.reason === readiness.reason ? reason : evaluation.reason, gates: evaluation.gates.map((g) => (g === readiness ? { ...g, reason } : g)) }
  }
  if (evaluation.verdict === 'passed' && probe.judgement.health === 'Unhealthy') {
    return { verdict: 'pending', reason: said, gates: evaluation.gates.map((g) => (g === readiness ? { ...g, status: 'pending' as const, reason: said } : g)) }
  }
  if (evaluation.verdict === 'passed' && probe.judgement.health === 'Degraded') return { ...evaluation, warnings: [said] }
  return evaluation
}
