// The release engine's executor for a Container Apps region (RevisionExecutor, src/rollout/executor.ts):
//
//   begin     read the app and its revisions; the first time mkt releases it, the revision serving then (healthy)
//             is recorded `passed`; a serving revision still `pending` (a release that died) is recorded `failed`;
//             the newest `passed` revision is where a rollback goes.
//   run       one PATCH: a new revision (template with the new image, revisionSuffix `mkt-…`) with the traffic
//             pinned to the revisions serving now, and its release record `pending`; gate it at 0% traffic; then
//             each traffic step (100 for rolling; 25 → 50 → 100 for a canary), gated, the last one for the bake;
//             then the previous revisions are deactivated (promote).
//   rollback  the last verified revision activated if needed, 100% of the traffic to it, this release's revision
//             deactivated; then its gates.
// Gates (records.ts evaluateRevision) read the revision and its replicas every second: provisioning, back-offs
// and restart bursts, readiness; the bake holds them all for --bake.
import type { ContainerApp, Revision, TrafficWeight } from '@azure/arm-appcontainers'
import { setTimeout as sleep } from 'node:timers/promises'
import { formatDuration } from '../../duration.js'
import { configError, usageError } from '../../errors.js'
import type { Component } from '../../platform/schema.js'
import type { LockRequest, ReleaseLock, RevisionExecutor, RevisionGateOptions, RevisionOutcome, RevisionRelease } from '../../rollout/executor.js'
import type { ReleaseEntry } from '../../rollout/history.js'
import type { Verdict } from '../../rollout/objects.js'
import type { ReleaseAudit } from '../../rollout/patches.js'
import type { ContainerAppsRegion } from './apps.js'
import { containerAppOf } from './client.js'
import { TagLock } from './lock.js'
import { judgeHealthAnswer } from '../../health/healthchecks.js'
import { probeFqdn } from './probe.js'
import { containerAppHistory, evaluateRevision, withProbe, parseRecord, recordTag, recordTagsPatch, servingRevision, sortRevisions, type ReleaseRecord } from './records.js'

/** How often the gates read the revision and its replicas. */
const GATE_POLL_MS = 1000
/** How long mkt's own probe of the revision's FQDN may take. */
const PROBE_TIMEOUT_MS = 5000
/** How long a replica may stay not ready past its readiness budget (the same default as --ready-grace). */
const DEFAULT_READY_GRACE_MS = 30_000

export interface ContainerAppsExecutorOptions {
  audit: ReleaseAudit
  /** Switch a single-revision app to multiple-revision mode (only with --yes). */
  switchSingleRevisionMode: boolean
  components: readonly Component[]
  readyGraceMs?: number
}

export class ContainerAppsExecutor implements RevisionExecutor {
  readonly runtime = 'revisions' as const

  constructor(
    readonly apps: ContainerAppsRegion,
    private readonly options: ContainerAppsExecutorOptions,
  ) {}

  get region(): string {
    return this.apps.region
  }

  private appOf(componentName: string): string {
    const component = this.options.components.find((c) => c.name === componentName)
    return component ? containerAppOf(component) : componentName
  }

  lock(request: LockRequest): Promise<ReleaseLock> {
    return TagLock.acquire(this.apps, this.appOf(request.component), request)
  }

  async begin(component: Component): Promise<RevisionRelease> {
    const name = containerAppOf(component)
    const container = component.container ?? component.name
    const read = await this.apps.read(name)
    if (!read) throw configError(`container app ${name} not found in ${this.apps.connection.description}`, { hints: ["Check the component's containerApp name and the region's containerApps in mkt.yaml."] })
    const revisions = await this.apps.revisions(name)
    const history = containerAppHistory(read.app, revisions, container)
    const serving = history.find((e) => e.current)
    const servingRevisionNow = revisions.find((r) => r.name === serving?.replicaSet)
    const recorder = new RecordWriter(this.apps, name)
    if (serving && servingRevisionNow?.healthState === 'Healthy' && history.every((e) => e.verdict === 'external')) {
      await recorder.write(serving.replicaSet, { verdict: 'passed', verdictReason: 'serving and healthy when mkt first released this component' })
      serving.verdict = 'passed'
    } else if (serving?.verdict === 'pending') {
      await recorder.write(serving.replicaSet, { verdict: 'failed', verdictReason: 'abandoned: its release ended without a verdict (lock lost or process killed)' })
      serving.verdict = 'failed'
    }
    const target = [...history].reverse().find((e) => e.verdict === 'passed')
    return new ContainerAppRelease(this.apps, component, recorder, this.options, serving, target)
  }
}

/** Writes release records (tags), keeping the fields already recorded for that revision. */
export class RecordWriter {
  constructor(
    private readonly apps: ContainerAppsRegion,
    private readonly app: string,
  ) {}

  async write(revision: string, change: Partial<ReleaseRecord> & { verdict: Verdict }): Promise<void> {
    const read = await this.apps.read(this.app)
    if (!read) return
    const names = sortRevisions(await this.apps.revisions(this.app)).map((r) => r.name ?? '')
    const record = { ...parseRecord(read.app.tags?.[recordTag(revision)]), ...change }
    await this.apps.update(read.app, { tags: recordTagsPatch(read.app.tags, names, revision, record) as Record<string, string> }, `record the verdict of ${revision}`)
  }
}

class ContainerAppRelease implements RevisionRelease {
  readonly fromRevision: number | null
  readonly target?: { revision: number; name: string; image: string }
  toRevision: number | null = null
  private created: string | undefined
  private readonly name: string
  private readonly container: string
  private readonly readyPath: string

  constructor(
    private readonly apps: ContainerAppsRegion,
    component: Component,
    private readonly recorder: RecordWriter,
    private readonly options: ContainerAppsExecutorOptions,
    serving: ReleaseEntry | undefined,
    target: ReleaseEntry | undefined,
  ) {
    this.name = containerAppOf(component)
    this.container = component.container ?? component.name
    this.readyPath = component.health.ready
    this.fromRevision = serving?.revision ?? null
    if (target) this.target = { revision: target.revision, name: target.replicaSet, image: target.image ?? '' }
  }

  async run(image: string, weights: number[], gate: Omit<RevisionGateOptions, 'onProgress'>, tools: { write: <T>(send: () => Promise<T>) => Promise<T>; say: (kind: 'patch' | 'wait', message: string) => void }): Promise<RevisionOutcome> {
    const read = await this.apps.read(this.name)
    if (!read) throw configError(`container app ${this.name} disappeared`)
    const { app } = read
    const single = app.configuration?.activeRevisionsMode !== 'Multiple'
    if (single && !this.options.switchSingleRevisionMode) {
      throw usageError(`container app ${this.name} is in single-revision mode: a gated release needs multiple-revision mode`, { hints: ['Pass --yes to let mkt switch it to multiple-revision mode (it says so when it does).'] })
    }
    const revisions = await this.apps.revisions(this.name)
    const serving = servingRevision(app, revisions)
    const containers = app.template?.containers ?? []
    if (!containers.some((c) => c.name === this.container)) throw configError(`container app ${this.name} has no container named ${this.container}`, { hints: ['Set the component\'s container: in mkt.yaml to the container app\'s container name.'] })
    const suffix = revisionSuffix(image)
    const created = `${this.name}--${suffix}`
    const ingress = app.configuration?.ingress
    const audit = this.options.audit
    const pending: ReleaseRecord = {
      verdict: 'pending',
      deployedBy: audit.deployedBy,
      deployedAt: new Date(audit.deployedAt).toISOString(),
      ...(audit.reason ? { reason: audit.reason } : {}),
      ...(audit.gitSha ? { gitSha: audit.gitSha } : {}),
      ...(audit.runUrl ? { runUrl: audit.runUrl } : {}),
    }
    const names = revisions.map((r) => r.name ?? '')
    if (single) tools.say('patch', `switching ${this.name} to multiple-revision mode (--yes), so the new revision runs beside the serving one`)
    await tools.write(() =>
      this.apps.update(
        app,
        {
          template: { ...app.template, revisionSuffix: suffix, containers: containers.map((c) => (c.name === this.container ? { ...c, image } : c)) },
          configuration: { ...(single ? { activeRevisionsMode: 'Multiple' } : {}), ...(ingress ? { ingress: { traffic: pinnedTraffic(app, revisions) } } : {}) },
          tags: recordTagsPatch(app.tags, [...names, created], created, pending) as Record<string, string>,
        },
        `create a revision of ${this.name}`,
      ),
    )
    this.created = created
    this.toRevision = revisions.length + 1
    tools.say('patch', `image ${serving ? (serving.template?.containers?.find((c) => c.name === this.container)?.image ?? '?') : '?'} -> ${image}: new revision ${created} (r${this.toRevision}), no traffic yet`)
    const gates = (bakeMs: number) => this.gates(created, { ...gate, bakeMs, timeoutMs: Math.max(1, gate.timeoutMs - (Date.now() - started)) }, (reason) => tools.say('wait', reason))
    const started = Date.now()
    let last = await gates(0)
    if (last.outcome !== 'passed') return last
    const steps = ingress ? weights : [100]
    for (const weight of steps) {
      if (ingress) {
        const traffic: TrafficWeight[] = weight < 100 && serving ? [{ revisionName: serving.name!, weight: 100 - weight }, { revisionName: created, weight, label: 'canary' }] : [{ revisionName: created, weight: 100 }]
        const current = (await this.apps.read(this.name))?.app ?? app
        await tools.write(() => this.apps.update(current, { configuration: { ingress: { traffic } } }, `move traffic of ${this.name}`))
        tools.say('patch', weight < 100 ? `canary step ${weight}%: ${weight}% of the traffic to ${created}, ${100 - weight}% to ${serving?.name}` : `traffic 100% to ${created}`)
      }
      last = await gates(gate.bakeMs)
      if (last.outcome !== 'passed') return last
      if (weight < 100) tools.say('wait', `canary step ${weight}% passed: ${last.reason}`)
    }
    // Promote: after the bake, the previous revisions stop running.
    const previous = (await this.apps.revisions(this.name)).filter((r) => r.active && r.name !== created)
    for (const revision of previous) await tools.write(() => this.apps.deactivate(this.name, revision.name!))
    if (previous.length > 0) tools.say('patch', `promote: ${created} serves 100%; deactivated ${previous.map((r) => r.name).join(', ')}`)
    return last
  }

  async recordVerdict(verdict: Verdict, reason: string): Promise<void> {
    if (this.created) await this.recorder.write(this.created, { verdict, verdictReason: reason })
  }

  async rollback(timeoutMs: number, say: (message: string) => void): Promise<RevisionOutcome> {
    const target = this.target!
    const read = await this.apps.read(this.name)
    if (!read) throw configError(`container app ${this.name} disappeared`)
    await moveTrafficTo(this.apps, read.app, target.name, say)
    if (this.created && this.created !== target.name) {
      const created = (await this.apps.revisions(this.name)).find((r) => r.name === this.created)
      if (created?.active) {
        await this.apps.deactivate(this.name, this.created)
        say(`deactivated ${this.created}`)
      }
    }
    return this.gates(target.name, { bakeMs: 0, timeoutMs, progressDeadlineMs: timeoutMs, signal: new AbortController().signal }, () => {})
  }

  gates(revision: string, options: RevisionGateOptions, onProgress: (reason: string) => void): Promise<RevisionOutcome> {
    return gateRevision(this.apps, this.name, revision, { ...options, readyGraceMs: this.options.readyGraceMs ?? DEFAULT_READY_GRACE_MS, readyPath: this.readyPath }, onProgress)
  }
}

/** Activates `revision` if needed and sends it 100% of the traffic (without ingress: it is simply active). */
export async function moveTrafficTo(apps: ContainerAppsRegion, app: ContainerApp, revision: string, say: (message: string) => void): Promise<void> {
  const current = (await apps.revisions(app.name!)).find((r) => r.name === revision)
  if (!current) throw configError(`revision ${revision} of ${app.name} no longer exists`)
  if (!current.active) {
    await apps.activate(app.name!, revision)
    say(`activated ${revision}`)
  }
  if (app.configuration?.ingress) {
    await apps.update(app, { configuration: { ingress: { traffic: [{ revisionName: revision, weight: 100 }] } } }, `move traffic of ${app.name}`)
    say(`traffic 100% to ${revision}`)
  }
}

/** The traffic as it is, with `latestRevision` entries named, so a new revision gets none of it. */
function pinnedTraffic(app: ContainerApp, revisions: readonly Revision[]): TrafficWeight[] {
  const latest = app.latestRevisionName ?? sortRevisions(revisions).at(-1)?.name
  const traffic = app.configuration?.ingress?.traffic ?? []
  return traffic.map((t) => ({ revisionName: t.latestRevision ? latest : t.revisionName, weight: t.weight ?? 0, ...(t.label ? { label: t.label } : {}) }))
}

/** `mkt-<tag>-<time>`: says what it runs and stays unique (a suffix is used once per app). */
export function revisionSuffix(image: string, now = Date.now()): string {
  const reference = image.split('@')[0]!
  const tag = reference.includes(':', reference.lastIndexOf('/') + 1) ? reference.slice(reference.lastIndexOf(':') + 1) : image.includes('@') ? 'digest' : 'latest'
  const clean = tag.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 16) || 'image'
  return `mkt-${clean}-${now.toString(36)}`
}

/**
 * Reads the revision and its replicas every second until the gates pass for `bakeMs` without a break, one fails,
 * nothing changes for the progress deadline, the budget runs out, or the signal aborts.
 */
export async function gateRevision(apps: ContainerAppsRegion, app: string, revisionName: string, options: RevisionGateOptions & { readyGraceMs: number; readyPath?: string }, onProgress: (reason: string) => void): Promise<RevisionOutcome> {
  const started = Date.now()
  let bakeStartedAt: number | undefined
  let lastChange = started
  let lastKey = ''
  let lastReason = ''
  let gates: RevisionOutcome['gates'] = []
  for (;;) {
    if (options.signal.aborted) return { outcome: 'interrupted', reason: 'interrupted', gates, warnings: [] }
    const revision = await apps.revision(app, revisionName)
    const replicas = revision.active ? await apps.replicas(app, revisionName) : []
    const now = Date.now()
    const probe =
      options.readyPath && revision.fqdn && replicas.length > 0
        ? { url: `https://${revision.fqdn}${options.readyPath}`, judgement: judgeHealthAnswer(await probeFqdn(apps.connection, revision.fqdn, options.readyPath, PROBE_TIMEOUT_MS)) }
        : undefined
    const evaluation = withProbe(evaluateRevision(revision, replicas, now, options.readyGraceMs), probe)
    gates = evaluation.gates
    if (evaluation.verdict === 'failed') return { outcome: 'failed', reason: evaluation.reason, gates: [...gates, { gate: 'bake', status: 'failed', reason: 'a gate failed' }], warnings: [] }
    if (evaluation.verdict === 'passed') {
      bakeStartedAt ??= now
      const baked = now - bakeStartedAt
      if (baked >= options.bakeMs) {
        const reason = options.bakeMs > 0 ? `${evaluation.reason}, held for ${formatDuration(options.bakeMs)}` : evaluation.reason
        return { outcome: 'passed', reason, gates: [...gates, { gate: 'bake', status: 'passed', reason: `held for ${formatDuration(options.bakeMs)}` }], warnings: evaluation.warnings ?? [] }
      }
    } else bakeStartedAt = undefined
    const key = JSON.stringify(gates.map((g) => g.status)) + evaluation.reason.replace(/\d+ s\b/, '')
    if (key !== lastKey) {
      lastKey = key
      lastChange = now
    }
    const reason = evaluation.verdict === 'passed' ? `${evaluation.reason}; baking for ${formatDuration(options.bakeMs)}` : evaluation.reason
    if (reason !== lastReason) onProgress((lastReason = reason))
    if (options.progressDeadlineMs !== undefined && now - lastChange > options.progressDeadlineMs) {
      return { outcome: 'failed', reason: `no progress for ${formatDuration(options.progressDeadlineMs)}: ${evaluation.reason}`, gates, warnings: [] }
    }
    if (now - started > options.timeoutMs) return { outcome: 'timeout', reason: evaluation.reason, gates, warnings: [] }
    await sleep(GATE_POLL_MS, undefined, { signal: options.signal }).catch(() => {})
  }
}
