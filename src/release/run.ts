// `mkt release run` and `mkt release rollback`: the pipeline's one call.
//
//   plan ─▶ refuse (blockers, GitOps owner, locks held) ─▶ release lock + record ─▶ migrations (primary region,
//   forward-only) ─▶ configuration push ─▶ components in waves through the release engine (rollout/release.ts:
//   its locks, gates and one compensation step, which restores the configuration first) ─▶ health roll-up ─▶ record
//
// A failed migration stops the release before any component changes. Any later failure is compensated by the
// engine's one compensation step; a release that passed its gates but leaves a released component Unhealthy in
// the roll-up is returned to what ran before it by `rollbackRelease` (the same path as `mkt release rollback`).
import type { V1Deployment } from '@kubernetes/client-node'
import { pushConfig, releaseTemplatePatch } from '../config/service.js'
import { ExitCode, failedError, invalidInputError, lockedError, MktError, usageError, type ExitCodeValue } from '../errors.js'
import { checkHealth } from '../health/probe.js'
import { LeaseLock } from '../kube/lock.js'
import { jobTemplatePath, runMigrationJob } from '../migrate/job-runner.js'
import { readSqlDir } from '../migrate/sql-files.js'
import { resolveDatabase, runSqlMigrations } from '../migrate/sql-runner.js'
import { parseDuration } from '../duration.js'
import { assertUnlocked, containerOf, deploymentKey, executorsOf, releaseOptions, type EventSink } from '../rollout/deploy.js'
import { assertNoGitopsOwner } from '../rollout/gitops.js'
import { canaryStartPatch, rolloutPatch, type PatchRequest, type ReleaseAudit } from '../rollout/patches.js'
import { takeLocks, withHeldLocks, type AnyExecutor } from '../rollout/executor.js'
import { runRelease, type ItemResult, type ReleaseItem } from '../rollout/release.js'
import { rollback } from '../rollout/rollback.js'
import { restoreConfigMaps, snapshotConfigMaps } from './configuration.js'
import { verifyVerdict } from './verify.js'
import { configurationRegions, prepareRelease, releaseHomeConnection, type PlanContext, type PreparedRelease, type ReleasePlan } from './plan.js'
import { emptySteps, finishStep, newReleaseId, RecordStore, startStep, stepOf, type RecordItem, type ReleaseRecord, type ReleaseStatus } from './record.js'

export const RELEASE_LOCK = 'release'

export interface RunContext extends PlanContext {
  identity: string
  audit: Omit<ReleaseAudit, 'changeCause'>
  budgets: { timeoutMs: number; maxDurationMs?: number; readyGraceMs?: number; rollbackTimeoutMs: number }
  allowGitopsDrift: boolean
  /** Where mkt.yaml came from (the Job runner's template is found beside it). */
  platformSource: string
  resume?: string
  signal: AbortSignal
  onEvent: EventSink
  /** One line per step (progress, stderr). */
  onStep: (message: string) => void
  /** A phase starts or ends: pipelines fold each into a collapsible group. */
  onPhase: (title: string | undefined) => void
  /** Called once the plan is made and nothing refused it, before anything changes (confirmation, CI mask…). */
  beforeChange: (plan: ReleasePlan) => Promise<void>
  probeIntervalMs?: number
}

export interface RunOutcome {
  record: ReleaseRecord
  plan: ReleasePlan
  exitCode: ExitCodeValue
  /** One line; empty when the release succeeded. */
  failure: string
}

const now = () => new Date().toISOString()
const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error))

/** Runs (or resumes) a release. Throws before anything changed (bad input, locks, GitOps, unreachable); otherwise the outcome's exitCode says what happened. */
export async function executeRelease(context: RunContext): Promise<RunOutcome> {
  const { manifest, environment } = context
  const primary = await releaseHomeConnection(context.platform, environment)
  const store = await RecordStore.open(primary)
  let previous: ReleaseRecord | undefined
  if (context.resume) {
    previous = await store.read(context.resume)
    if (!previous) throw usageError(`no release ${context.resume} in ${environment.name} (${primary.region})`, { hints: ['`mkt release history` lists the releases of an environment.'] })
    if (previous.manifestDigest !== manifest.digest) {
      throw invalidInputError(`release ${previous.id} ran another manifest (${previous.manifestDigest.slice(0, 19)}…, this file is ${manifest.digest.slice(0, 19)}…)`, {
        hints: ['Resume with the release.yaml it started with, or start a new release without --resume.'],
      })
    }
    if (previous.status !== 'running' && previous.status !== 'interrupted') {
      throw usageError(`release ${previous.id} already ended (${previous.status}); only an interrupted release can be resumed`, { hints: [`\`mkt release rollback ${previous.id}\` returns its components to what ran before it.`] })
    }
  }

  const prepared = await prepareRelease({ ...context, reverify: previous !== undefined })
  const { plan } = prepared
  if (plan.blockers.length > 0) {
    throw failedError(`cannot release: ${plan.blockers[0]}${plan.blockers.length > 1 ? ` (+${plan.blockers.length - 1} more)` : ''}`, { hints: ['Run `mkt release plan` to see every step and what blocks it. Nothing was changed.'] })
  }
  if (!context.allowGitopsDrift) {
    assertNoGitopsOwner(
      plan.components.filter((c) => c.gitops !== null && c.changes.length > 0).map((c) => ({ region: c.region, component: c.component, owner: c.gitops! })),
      environment.name,
    )
  }
  // Every lock it needs is free before anything changes (73 naming the holder); a dead runner's are taken over.
  const changing = plan.components.filter((c) => c.changes.length > 0).map((c) => ({ region: c.region, component: c.component }))
  await assertUnlocked(prepared.connected, changing, environment.name, { components: [...prepared.components.values()], takeOverDead: true, hint: 'Wait for that operation to finish; `mkt lock status` shows it. Nothing was changed.' })
  await context.beforeChange(plan)

  const lock = await LeaseLock.acquire(primary, { environment: environment.name, component: RELEASE_LOCK, identity: context.identity, operation: `release ${manifest.name} ${manifest.version}`, ...(context.audit.reason ? { reason: context.audit.reason } : {}) })
  // The component locks, once taken (below): given back when the components are done, and on every exit.
  let releaseComponentLocks = async (): Promise<void> => undefined
  try {
    const record: ReleaseRecord = previous
      ? { ...previous, status: 'running', attempts: previous.attempts + 1, exitCode: null, failure: null, finishedAt: null }
      : {
          id: newReleaseId(),
          name: manifest.name,
          version: manifest.version,
          environment: environment.name,
          primaryRegion: plan.primaryRegion,
          recordRegion: primary.region,
          regions: plan.regions,
          manifestDigest: manifest.digest,
          startedBy: context.audit.deployedBy,
          reason: context.audit.reason ?? null,
          gitSha: context.audit.gitSha ?? null,
          runUrl: context.audit.runUrl ?? null,
          startedAt: now(),
          updatedAt: now(),
          finishedAt: null,
          status: 'running',
          exitCode: null,
          failure: null,
          attempts: 1,
          steps: emptySteps(),
          migrations: null,
          configuration: [],
          items: [],
        }
    if (previous) await store.save(record)
    else await store.create(record)
    context.onStep(`release ${record.id}: ${manifest.name} ${manifest.version} to ${environment.name}${previous ? ` (resumed, attempt ${record.attempts})` : ''}`)
    // Writes of the record are serialized: progress events may ask for several at once.
    let saving = Promise.resolve()
    const save = () => {
      saving = saving.then(() => store.save(record)).catch((error) => context.onStep(`warning: could not update the release record: ${messageOf(error)}`))
      return saving
    }
    const finish = async (status: ReleaseStatus, exitCode: ExitCodeValue, failure: string): Promise<RunOutcome> => {
      await releaseComponentLocks()
      record.status = status
      record.exitCode = exitCode
      record.failure = failure || null
      record.finishedAt = now()
      await save()
      return { record, plan, exitCode, failure }
    }

    // Every component lock up front, before the migrations: a deploy started meanwhile gets 73, not a race.
    let held: Awaited<ReturnType<typeof holdComponentLocks>>
    try {
      held = await holdComponentLocks(context, prepared, record)
    } catch (error) {
      for (const step of record.steps) if (step.status === 'pending') step.status = 'skipped'
      return await finish('failed', (error instanceof MktError ? error.exitCode : ExitCode.FAILED) as ExitCodeValue, `no component was changed: ${messageOf(error)}`)
    }
    releaseComponentLocks = held.releaseAll

    // 1. Migrations: primary region, forward-only. A failure stops the release before any component changes.
    const migrationsStep = stepOf(record, 'migrations')
    if (!manifest.migrations) {
      finishStep(migrationsStep, 'skipped', 'no migrations in this release')
    } else if (migrationsStep.status === 'succeeded') {
      context.onStep('migrations: done by an earlier attempt')
    } else {
      context.onPhase(`Migrations (${plan.migrations?.runner}, ${primary.region})`)
      startStep(migrationsStep)
      await save()
      const migrated = await runMigrations(context, record).finally(() => context.onPhase(undefined))
      if (migrated.error) {
        finishStep(migrationsStep, 'failed', migrated.error.message)
        for (const step of record.steps) if (step.status === 'pending') step.status = 'skipped'
        const applied = record.migrations?.applied ?? []
        const message = `migrations failed, so no component was changed (migrations are forward-only: ${applied.length === 0 ? 'none was applied by this release' : `${applied.map((a) => `V${String(a.version).padStart(3, '0')}`).join(', ')} applied before the failure stay${applied.length === 1 ? 's' : ''} applied`}): ${migrated.error.message}`
        return await finish(context.signal.aborted ? 'interrupted' : 'failed', migrated.error.exitCode as ExitCodeValue, message)
      }
      finishStep(migrationsStep, 'succeeded', migrated.detail)
      await save()
    }

    // 2. Configuration: ConfigMaps (and secret values given to this run) written; pods roll in their wave.
    const configStep = stepOf(record, 'configuration')
    const checksums = new Map<string, string>()
    if (!manifest.configuration) {
      finishStep(configStep, 'skipped', 'no configuration in this release')
    } else if (configStep.status === 'succeeded') {
      context.onStep('configuration: pushed by an earlier attempt')
    } else {
      context.onPhase('Configuration')
      startStep(configStep)
      const components = manifest.configuration.components
      if (record.configuration.length === 0) record.configuration = await snapshotConfigMaps(prepared, components)
      await save()
      try {
        const pushed = await pushConfig(
          { platform: context.platform, environment, components, regions: configurationRegions(context.regions), root: context.configRoot, values: context.values, ...(context.allowUnreferenced ? { allowUnreferenced: true } : {}) },
          {
            restart: false,
            rollout: { ...context.budgets, bakeMs: manifest.bakeMs, autoRollback: true, signal: context.signal, onEvent: context.onEvent, identity: context.identity, audit: context.audit },
            onStep: (message) => context.onStep(`configuration: ${message}`),
          },
        )
        for (const c of pushed.configMaps) checksums.set(deploymentKey(c.region, c.component), c.checksum)
        for (const entry of record.configuration) entry.changed = entry.changed || pushed.configMaps.some((c) => c.region === entry.region && c.component === entry.component && c.changed)
        const changed = pushed.configMaps.filter((c) => c.changed).length
        finishStep(configStep, 'succeeded', `${changed} ConfigMap(s) changed, ${pushed.secrets.filter((s) => s.outcome !== 'unchanged').length} secret(s) written`)
      } catch (error) {
        finishStep(configStep, 'failed', messageOf(error))
        await restoreConfigMaps(context, record.configuration, context.onStep)
        context.onPhase(undefined)
        const failure = `configuration push failed: ${messageOf(error)}; the ConfigMaps were restored and no component was changed${record.migrations?.applied.length ? '; the migrations stay applied (forward-only)' : ''}`
        return await finish('failed', error instanceof MktError ? error.exitCode : ExitCode.FAILED, failure)
      } finally {
        context.onPhase(undefined)
      }
      await save()
    }

    // 3. Components, in waves, through the release engine (one compensation step for every cause).
    const componentsStep = stepOf(record, 'components')
    startStep(componentsStep, `${plan.waves.length} wave(s)`)
    record.items = mergeItems(record.items, plan)
    await save()
    let result: Awaited<ReturnType<typeof rollComponents>>
    try {
      result = await rollComponents(context, prepared, record, checksums, save, held.executors)
    } catch (error) {
      // The engine changed no component (a lock taken meanwhile, a cluster gone): put the configuration back.
      await restoreConfigMaps(context, record.configuration, context.onStep)
      finishStep(componentsStep, 'failed', messageOf(error))
      stepOf(record, 'verify').status = 'skipped'
      const exitCode = (error instanceof MktError ? error.exitCode : ExitCode.FAILED) as ExitCodeValue
      const outcome = await finish('failed', exitCode, failureLine(exitCode, `no component was changed: ${messageOf(error)}`, record))
      throw error instanceof MktError ? new MktError(error.code, error.exitCode, outcome.failure, { hints: error.hints, result: { planOnly: false, plan, record }, cause: error }) : error
    }
    record.items = mergeItems(record.items, plan, result.items)
    if (result.exitCode !== ExitCode.OK) {
      finishStep(componentsStep, 'failed', result.failure)
      stepOf(record, 'verify').status = 'skipped'
      // A resumed release also changed components in its earlier attempt: they go back too.
      if (previous && record.items.some((i) => i.outcome === 'deployed') && result.exitCode !== ExitCode.INTERRUPTED) {
        await save()
        const back = await rollbackRelease({ ...context, record, store, reason: `release ${record.id} failed: ${result.failure}` })
        const exitCode = back.ok ? result.exitCode : ExitCode.ROLLBACK_FAILED
        return await finish(back.ok ? 'rolled-back' : 'rollback-failed', exitCode, failureLine(exitCode, result.failure, record))
      }
      const status: ReleaseStatus = result.exitCode === ExitCode.INTERRUPTED ? 'interrupted' : result.exitCode === ExitCode.ROLLED_BACK ? 'rolled-back' : result.exitCode === ExitCode.ROLLBACK_FAILED ? 'rollback-failed' : 'failed'
      return await finish(status, result.exitCode, failureLine(result.exitCode, result.failure, record))
    }
    finishStep(componentsStep, 'succeeded', `${record.items.filter((i) => i.outcome === 'deployed').length} component rollout(s) passed their gates`)
    await save()

    // 4. Verify: the health roll-up of the whole environment. The components are done: their locks go back now
    // (a failed verification rolls the release back through `mkt rollback`, which takes them itself).
    await releaseComponentLocks()
    const verifyStep = stepOf(record, 'verify')
    context.onPhase('Verify')
    startStep(verifyStep)
    const model = await checkHealth({ platform: context.platform, environment, components: context.platform.components, regions: context.regions, timeoutMs: parseDuration(context.platform.defaults.timeouts.probe), concurrency: 8 }).finally(() => context.onPhase(undefined))
    const released = new Set(record.items.filter((i) => i.outcome === 'deployed').map((i) => i.component))
    const verdict = verifyVerdict(model, released)
    if (verdict.warning) context.onStep(`warning: ${verdict.warning}`)
    if (verdict.failure) {
      const why = verdict.failure
      finishStep(verifyStep, 'failed', why)
      await save()
      const back = await rollbackRelease({ ...context, record, store, reason: `release ${record.id} failed its verification: ${why}` })
      return await finish(back.ok ? 'rolled-back' : 'rollback-failed', back.ok ? ExitCode.ROLLED_BACK : ExitCode.ROLLBACK_FAILED, failureLine(back.ok ? ExitCode.ROLLED_BACK : ExitCode.ROLLBACK_FAILED, why, record))
    }
    finishStep(verifyStep, 'succeeded', verdict.detail)
    return await finish('succeeded', ExitCode.OK, '')
  } finally {
    await releaseComponentLocks()
    await lock.release().catch(() => undefined)
  }
}

function failureLine(exitCode: ExitCodeValue, failure: string, record: ReleaseRecord): string {
  const applied = record.migrations?.applied ?? []
  const migrations = record.migrations ? ` Migrations are forward-only: ${applied.length > 0 ? `${applied.map((a) => `V${String(a.version).padStart(3, '0')}`).join(', ')} stay${applied.length === 1 ? 's' : ''} applied` : 'the database stays as it is'} (never undone).` : ''
  switch (exitCode) {
    case ExitCode.ROLLED_BACK:
      return `release ${record.id} failed and every component it changed was rolled back: ${failure}.${migrations}`
    case ExitCode.ROLLBACK_FAILED:
      return `release ${record.id} failed and the rollback is not complete (page someone): ${failure}.${migrations}`
    case ExitCode.INTERRUPTED:
      return `release ${record.id} was interrupted; what it changed was rolled back.${migrations}`
    default:
      return `release ${record.id} failed: ${failure}.${migrations}`
  }
}

/** Record items: one per region/component the plan rolls, with the engine's outcome once known. */
function mergeItems(existing: RecordItem[], plan: ReleasePlan, results: ItemResult[] = []): RecordItem[] {
  const items = new Map(existing.map((i) => [deploymentKey(i.region, i.component), i]))
  for (const row of plan.components) {
    if (row.wave === null) continue
    const key = deploymentKey(row.region, row.component)
    const before = items.get(key)
    const result = results.find((r) => r.region === row.region && r.component === row.component)
    items.set(key, {
      wave: row.wave,
      region: row.region,
      component: row.component,
      // A resumed release keeps what ran before its first attempt.
      from: before?.from ?? row.from,
      to: row.to,
      fromRevision: before?.fromRevision ?? row.revision,
      toRevision: result?.toRevision ?? before?.toRevision ?? null,
      changes: row.changes,
      outcome: result?.outcome ?? before?.outcome ?? 'not-started',
      reason: result?.reason ?? before?.reason ?? 'not started',
      durationMs: result?.durationMs ?? before?.durationMs ?? 0,
    })
  }
  return [...items.values()].sort((a, b) => a.wave - b.wave || a.region.localeCompare(b.region) || a.component.localeCompare(b.component))
}

async function runMigrations(context: RunContext, record: ReleaseRecord): Promise<{ detail: string; error?: MktError }> {
  const m = context.manifest.migrations!
  if (m.kind === 'sql') {
    const files = await readSqlDir(m.dir)
    const db = await resolveDatabase(context.platform, context.environment, { onWait: context.onStep })
    const result = await runSqlMigrations({
      db,
      files,
      ...(m.to === undefined ? {} : { to: m.to }),
      runBy: context.audit.deployedBy,
      applicationName: `mkt release ${record.id}`,
      lockWaitMs: parseDuration('2m'),
      signal: context.signal,
      onEvent: (message) => context.onStep(`migrations: ${message}`),
    })
    record.migrations = { runner: 'sql', applied: [...(record.migrations?.applied ?? []), ...result.applied.map((a) => ({ version: a.version, name: a.name }))], databaseVersion: result.databaseVersion, image: null, forwardOnly: true }
    if (result.error) return { detail: '', error: result.error }
    return { detail: `${result.applied.length} applied; database at version ${result.databaseVersion}` }
  }
  const result = await runMigrationJob({
    platform: context.platform,
    environment: context.environment,
    image: m.image,
    templatePath: jobTemplatePath(m.jobTemplate, context.platformSource),
    timeoutMs: m.timeoutMs,
    reason: `release ${record.id}${context.audit.reason ? `: ${context.audit.reason}` : ''}`,
    audit: { runBy: context.audit.deployedBy, ...(context.audit.gitSha ? { gitSha: context.audit.gitSha } : {}), ...(context.audit.runUrl ? { runUrl: context.audit.runUrl } : {}) },
    identity: context.identity,
    signal: context.signal,
    onEvent: (message) => context.onStep(`migrations: ${message}`),
  })
  record.migrations = { runner: 'job', applied: [], databaseVersion: null, image: result.image, forwardOnly: true }
  if (result.error) return { detail: '', error: result.error }
  return { detail: `Job ${result.name} (${result.image}) succeeded` }
}

/** The release engine's spec for this release: per component the image and/or configuration change of its wave. */
/** The change-cause every revision of this release carries. */
const auditOf = (context: RunContext, record: ReleaseRecord): ReleaseAudit => ({
  ...context.audit,
  changeCause: `mkt release ${context.manifest.name} ${context.manifest.version} (${record.id}) by ${context.audit.deployedBy}${context.audit.reason ? `: ${context.audit.reason}` : ''}`,
})

const operationOf = (context: RunContext, record: ReleaseRecord) => `release ${context.manifest.name} ${context.manifest.version} (${record.id})`

/**
 * The executors of every region, with the lock of every component the release changes taken now, before the
 * migrations: "every lock it needs up front". The engine borrows them (withHeldLocks); releaseAll gives them back.
 */
async function holdComponentLocks(context: RunContext, prepared: PreparedRelease, record: ReleaseRecord) {
  const executors = await executorsOf(prepared.connected, {
    audit: auditOf(context, record),
    components: [...prepared.components.values()],
    ...(context.budgets.readyGraceMs === undefined ? {} : { readyGraceMs: context.budgets.readyGraceMs }),
    ...(context.probeIntervalMs === undefined ? {} : { probeIntervalMs: context.probeIntervalMs }),
  })
  const changing = prepared.plan.components.filter((c) => c.changes.length > 0)
  const held = await takeLocks(
    changing.map((c) => ({
      executor: executors.get(c.region)!,
      region: c.region,
      request: { environment: context.environment.name, component: c.component, identity: context.identity, operation: operationOf(context, record), ...(context.audit.reason ? { reason: context.audit.reason } : {}) },
    })),
  )
  const borrowing = new Map([...executors].map(([region, executor]) => [region, withHeldLocks(executor, held.get(region) ?? new Map())]))
  let released = false
  const releaseAll = async () => {
    if (released) return
    released = true
    await Promise.allSettled([...held.values()].flatMap((locks) => [...locks.values()].map((lock) => lock.release())))
  }
  return { executors: borrowing, releaseAll }
}

async function rollComponents(context: RunContext, prepared: PreparedRelease, record: ReleaseRecord, checksums: Map<string, string>, save: () => Promise<void>, executors: ReadonlyMap<string, AnyExecutor>) {
  const { plan } = prepared
  const audit = auditOf(context, record)
  const itemOf = (region: string, name: string): ReleaseItem => {
    const key = deploymentKey(region, name)
    const entry = prepared.entries.get(key)!
    const row = plan.components.find((c) => c.region === region && c.component === name)!
    const component = prepared.components.get(name)!
    const container = containerOf(component)
    const withConfig = (deployment: V1Deployment, patch: PatchRequest): PatchRequest => {
      if (!row.changes.includes('configuration')) return patch
      const checksum = checksums.get(key) ?? plan.configuration.find((c) => c.region === region && c.component === name)?.checksum
      return checksum === undefined ? patch : releaseTemplatePatch(patch, deployment, component, checksum)
    }
    const image = entry.to!
    return {
      entry,
      component,
      bakeMs: row.bakeMs,
      change: {
        describe: row.changes.includes('image') && entry.from !== entry.to ? `image ${entry.from} -> ${entry.to}${row.changes.includes('configuration') ? ' + configuration' : ''}` : `configuration of ${image}`,
        rollout: (deployment) => withConfig(deployment, rolloutPatch(deployment, container, image, audit)),
        canaryStart: (deployment, replicas) => withConfig(deployment, canaryStartPatch(deployment, container, image, audit, replicas)),
      },
    }
  }
  const waves = plan.waves.map((wave) => wave.map((w) => itemOf(w.region, w.component)))
  if (waves.length === 0) return { exitCode: ExitCode.OK as ExitCodeValue, items: [] as ItemResult[], failure: '' }
  const onEvent: EventSink = (event) => {
    context.onEvent(event)
    const item = record.items.find((i) => i.region === event.region && i.component === event.component)
    if (!item) return
    if (event.kind === 'patch' && item.outcome === 'not-started') {
      item.outcome = 'running'
      void save()
    } else if (event.kind === 'passed' || event.kind === 'rolled-back' || event.kind === 'rollback-failed' || event.kind === 'failed') {
      item.outcome = event.kind === 'passed' ? 'deployed' : event.kind
      item.reason = event.message
      void save()
    }
  }
  const configured = record.configuration
  return runRelease(
    {
      ...releaseOptions({ ...context.budgets, bakeMs: context.manifest.bakeMs, autoRollback: true, signal: context.signal, onEvent }),
      environment: context.environment.name,
      identity: context.identity,
      operation: operationOf(context, record),
      onInterrupt: 'rollback',
      ...(context.audit.reason ? { reason: context.audit.reason } : {}),
      beforeCompensate: () => restoreConfigMaps(context, configured, context.onStep),
    },
    { waves, unchanged: [] },
    executors,
  )
}

export interface RollbackContext extends Pick<RunContext, 'platform' | 'environment' | 'regions' | 'identity' | 'budgets' | 'onEvent' | 'onStep' | 'onPhase' | 'probeIntervalMs'> {
  record: ReleaseRecord
  store: RecordStore
  reason: string
}

/**
 * Returns every component a release changed to the revision that ran before it, in reverse waves (each wave's
 * components together), after putting its ConfigMaps back. Each rollback is `mkt rollback --to-revision`'s
 * (its lock, patch, health wait and verdicts). Never throws for a failed component: `ok` says.
 */
export async function rollbackRelease(context: RollbackContext): Promise<{ ok: boolean; items: Array<{ region: string; component: string; toRevision: number | null; outcome: string; reason: string }> }> {
  const { record } = context
  const step = stepOf(record, 'rollback')
  startStep(step, context.reason)
  await context.store.save(record)
  context.onPhase(`Rollback of release ${record.id}`)
  const outcomes: Array<{ region: string; component: string; toRevision: number | null; outcome: string; reason: string }> = []
  try {
    await restoreConfigMaps(context, record.configuration, context.onStep)
    const moved = record.items.filter((i) => i.outcome === 'deployed' || i.outcome === 'running')
    const waves = [...new Set(moved.map((i) => i.wave))].sort((a, b) => b - a)
    for (const wave of waves) {
      await Promise.all(
        moved
          .filter((i) => i.wave === wave)
          .map(async (item) => {
            const region = context.regions.find((r) => r.name === item.region)
            const component = context.platform.components.find((c) => c.name === item.component)
            if (!region || !component || item.fromRevision === null) {
              outcomes.push({ region: item.region, component: item.component, toRevision: null, outcome: 'rollback-failed', reason: 'no revision recorded from before the release' })
              return
            }
            try {
              const result = await rollback({
                platform: context.platform,
                environment: context.environment,
                component,
                regions: [region],
                toRevision: item.fromRevision,
                reason: context.reason,
                wait: true,
                timeoutMs: context.budgets.rollbackTimeoutMs,
                identity: context.identity,
                forceUnlock: false,
                onEvent: context.onEvent,
                confirm: async () => undefined,
                ...(context.probeIntervalMs === undefined ? {} : { probeIntervalMs: context.probeIntervalMs }),
              })
              const r = result.regions[0]!
              const ok = r.outcome === 'rolled-back' || r.outcome === 'unchanged'
              item.outcome = ok ? 'rolled-back' : 'rollback-failed'
              item.reason = `release rollback: ${r.reason}`
              outcomes.push({ region: item.region, component: item.component, toRevision: r.newRevision, outcome: item.outcome, reason: r.reason })
            } catch (error) {
              // Already at that revision (a compensated release) is not a failure.
              const already = /already/i.test(messageOf(error))
              item.outcome = already ? 'rolled-back' : 'rollback-failed'
              item.reason = `release rollback: ${messageOf(error)}`
              outcomes.push({ region: item.region, component: item.component, toRevision: item.fromRevision, outcome: item.outcome, reason: messageOf(error) })
            }
          }),
      )
      await context.store.save(record)
    }
    const ok = outcomes.every((o) => o.outcome === 'rolled-back')
    finishStep(step, ok ? 'succeeded' : 'failed', `${outcomes.length} component rollout(s) returned${ok ? '' : `; failed: ${outcomes.filter((o) => o.outcome !== 'rolled-back').map((o) => `${o.region}/${o.component}`).join(', ')}`}`)
    await context.store.save(record)
    return { ok, items: outcomes }
  } finally {
    context.onPhase(undefined)
  }
}

/** `mkt release rollback <id>`: reads the record, takes the release lock and rolls back. */
export async function rollbackReleaseById(context: Omit<RollbackContext, 'record' | 'store' | 'reason'> & { id: string; reason?: string }) {
  const primary = await releaseHomeConnection(context.platform, context.environment)
  const store = await RecordStore.open(primary)
  const record = await store.read(context.id)
  if (!record) throw usageError(`no release ${context.id} in ${context.environment.name} (${primary.region})`, { hints: ['`mkt release history` lists the releases of an environment.'] })
  if (record.status === 'running') {
    throw lockedError(`release ${record.id} is still running (or its runner died: resume it with --resume ${record.id} first, or wait for its lock to expire)`, { hints: ['`mkt lock status` shows the release lock.'] })
  }
  if (!record.items.some((i) => i.outcome === 'deployed')) {
    throw failedError(`release ${record.id} left nothing to roll back (status ${record.status}: ${record.items.length === 0 ? 'it changed no component' : 'every component it changed was already rolled back'})`, { hints: ['Nothing was changed.'] })
  }
  const lock = await LeaseLock.acquire(primary, { environment: context.environment.name, component: RELEASE_LOCK, identity: context.identity, operation: `release rollback ${record.id}`, ...(context.reason ? { reason: context.reason } : {}) })
  try {
    const result = await rollbackRelease({ ...context, record, store, reason: context.reason ?? `mkt release rollback ${record.id}` })
    record.status = result.ok ? 'rolled-back' : 'rollback-failed'
    record.updatedAt = now()
    await store.save(record)
    return { record, ...result, exitCode: result.ok ? ExitCode.OK : ExitCode.ROLLBACK_FAILED }
  } finally {
    await lock.release().catch(() => undefined)
  }
}
