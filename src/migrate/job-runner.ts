// The Job runner: runs the migrations image as a Kubernetes Job in the environment's primary region (writes home
// there), streams its pod's log while it runs, and reports the outcome. One migration per environment at a time:
// the Lease `mkt-lock-<env>-migrations` guards check-and-create, and a migration Job that is still running blocks
// the next run after the Lease is gone (a runner that died leaves the Job, which stops at its deadline).
import { existsSync } from 'node:fs'
import { readInputFile } from '../input-file.js'
import { dirname, join, resolve } from 'node:path'
import { Writable } from 'node:stream'
import { setTimeout as delay } from 'node:timers/promises'
import type { BatchV1Api, CoreV1Api, V1Job, V1Pod } from '@kubernetes/client-node'
import { parse as parseYaml } from 'yaml'
import { configError, ExitCode, failedError, invalidInputError, lockedError, MktError, timeoutError, usageError } from '../errors.js'
import { formatDuration } from '../duration.js'
import { connectRegion, loadKubeClient, type ClusterConnection } from '../kube/client.js'
import { toKubeError } from '../kube/errors.js'
import { LeaseLock } from '../kube/lock.js'
import { templatesDir } from '../paths.js'
import { firstKubernetesRegion } from '../platform/environments.js'
import type { Environment, Platform } from '../platform/schema.js'
import { resolveImage } from '../rollout/image.js'
import { DEFAULT_RESTART_BURST, podFailureSignals } from '../rollout/signals.js'
import {
  checkJobTemplate,
  isFinished,
  jobOutcome,
  jobsToPrune,
  MIGRATION_LABEL,
  migrationContainer,
  migrationJobName,
  podToFollow,
  renderMigrationJob,
  sortNewestFirst,
  splitLines,
  summarizeMigrationJob,
  type JobResult,
  type MigrationJobSummary,
} from './job.js'

export const LOCK_COMPONENT = 'migrations'
/** How long after mkt's timeout the cluster gets to mark the Job DeadlineExceeded (activeDeadlineSeconds). */
const DEADLINE_GRACE_MS = 10_000
const LOG_TAIL_LINES = 20
/** Waiting reasons that mean the pod will never run as it is: fail at once instead of at the deadline. */
const DECISIVE = new Set(['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'CreateContainerConfigError'])

export interface JobRunOptions {
  platform: Platform
  environment: Environment
  image: string
  templatePath: string
  timeoutMs: number
  reason?: string
  audit: { runBy: string; gitSha?: string; runUrl?: string }
  /** Lock holder identity (user@host/pid). */
  identity: string
  signal: AbortSignal
  /** Each line of the pod's log as it arrives (undefined: do not print them). */
  onLog?: (line: string) => void
  onEvent: (message: string) => void
  pollIntervalMs?: number
}

export interface JobRunResult {
  environment: string
  region: string
  namespace: string
  name: string
  image: string
  startedAt: string
  finishedAt: string | null
  durationMs: number
  result: JobResult | 'interrupted'
  reason: string
  runBy: string
  logTail: string[]
  /** Set when the run did not succeed: exit code and message (the result above goes with it). */
  error: MktError | null
}

/** Waits `ms`, or less when the run is interrupted (resolves either way). */
const sleep = (ms: number, signal: AbortSignal) => delay(ms, undefined, { signal }).catch(() => undefined)

/** The primary Kubernetes region: migrations run where writes go home (Container Apps regions run no Jobs). */
export async function primaryConnection(platform: Platform, environment: Environment, sqlInstead = 'Run SQL migrations with `mkt migrate run --sql <dir>`, which needs only the database.'): Promise<ClusterConnection> {
  const region = firstKubernetesRegion(environment)
  if (!region) {
    throw configError(`environment ${environment.name} has no Kubernetes region to run the migrations Job in (its regions run on Container Apps)`, { hints: [sqlInstead] })
  }
  return connectRegion(platform, environment, region)
}

/** --job-template, else migration-job.yaml next to mkt.yaml, else the built-in templates/migration-job.yaml. */
export function jobTemplatePath(flag: string | undefined, configSource: string): string {
  if (flag) return resolve(flag)
  if (configSource !== 'built-in') {
    const beside = join(dirname(configSource), 'migration-job.yaml')
    if (existsSync(beside)) return beside
  }
  return join(templatesDir(), 'migration-job.yaml')
}

export async function loadJobTemplate(path: string): Promise<V1Job> {
  let text: string
  try {
    text = readInputFile(path, { what: 'migration Job template', refuse: (message, hints) => invalidInputError(message, { hints }) })
  } catch (error) {
    if (error instanceof MktError) throw error
    throw invalidInputError(`cannot read the migration Job template ${path}: ${(error as Error).message}`)
  }
  let parsed: unknown
  try {
    parsed = parseYaml(text, { maxAliasCount: 100 })
  } catch (error) {
    throw invalidInputError(`${path}: not valid YAML: ${(error as Error).message.split('\n')[0]}`)
  }
  return checkJobTemplate(parsed, path)
}

interface Follower {
  readonly lines: number
  /** The last lines streamed: the log tail when the pod is gone by the end (a deadline deletes it). */
  readonly recent: string[]
  /** Resolves when the server ends the stream (the container exited) or the follower is stopped. */
  done: Promise<void>
  stop(): void
}

/** Follows a container's log (client-node's Log with follow=true), line by line. */
async function followLog(connection: ClusterConnection, pod: string, container: string, onLine: (line: string) => void): Promise<Follower> {
  const k8s = await loadKubeClient()
  let buffered = ''
  let lines = 0
  const recent: string[] = []
  let finish = () => undefined as void
  const done = new Promise<void>((resolve) => (finish = resolve))
  const emit = (line: string) => {
    lines++
    recent.push(line)
    if (recent.length > LOG_TAIL_LINES) recent.shift()
    onLine(line)
  }
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      const split = splitLines(buffered, chunk.toString('utf8'))
      buffered = split.rest
      split.lines.forEach(emit)
      callback()
    },
    final(callback) {
      if (buffered !== '') emit(buffered)
      buffered = ''
      finish()
      callback()
    },
  })
  const controller = await new k8s.Log(connection.kubeConfig).log(connection.namespace, pod, container, sink, { follow: true })
  return {
    get lines() {
      return lines
    },
    recent,
    done,
    stop: () => {
      controller.abort()
      finish()
    },
  }
}

/** The whole log of the pod's migration container (empty when it never started). */
async function readLog(core: CoreV1Api, connection: ClusterConnection, pod: string, container: string): Promise<string[]> {
  try {
    const text = await core.readNamespacedPodLog({ name: pod, namespace: connection.namespace, container })
    return splitLines('', `${text}${text.endsWith('\n') || text === '' ? '' : '\n'}`).lines
  } catch {
    return []
  }
}

async function listMigrationJobs(batch: BatchV1Api, connection: ClusterConnection): Promise<V1Job[]> {
  try {
    return (await batch.listNamespacedJob({ namespace: connection.namespace, labelSelector: `${MIGRATION_LABEL}=true` })).items
  } catch (error) {
    throw toKubeError(error, { region: connection.region, server: connection.server, action: 'list migration Jobs' })
  }
}

export async function runMigrationJob(options: JobRunOptions): Promise<JobRunResult> {
  const { platform, environment, onEvent } = options
  const template = await loadJobTemplate(options.templatePath)
  const templateContainer = migrationContainer(template)!
  const container = templateContainer.name
  // A bare tag (`--image 2.0.0`) or digest applies to the template's image repository, like `deploy service`.
  const resolved = resolveImage(options.image, { currentImage: templateContainer.image ?? '' })
  if (!resolved.ok) throw usageError(`invalid image reference "${options.image}": ${resolved.reason}`, { hints: ['Pass a reference like registry/repo:tag, or a bare tag for the image repository of the Job template.'] })
  const image = resolved.image
  const connection = await primaryConnection(platform, environment)
  const where = { region: connection.region, server: connection.server }
  const k8s = await loadKubeClient()
  const batch = connection.kubeConfig.makeApiClient(k8s.BatchV1Api)
  const core = connection.kubeConfig.makeApiClient(k8s.CoreV1Api)

  let lock: LeaseLock
  try {
    lock = await LeaseLock.acquire(connection, { environment: environment.name, component: LOCK_COMPONENT, identity: options.identity, operation: `migrate run ${image}`, ...(options.reason ? { reason: options.reason } : {}) })
  } catch (error) {
    if (error instanceof MktError && error.exitCode === ExitCode.LOCKED) {
      throw lockedError(error.message.replace(/^migrations in /, 'migrations in environment '), {
        hints: ['Wait for that run to finish (`mkt migrate status` shows its Job). A runner that died loses the lock within 30 s.'],
      })
    }
    throw error
  }
  try {
    const running = (await listMigrationJobs(batch, connection)).map((j) => summarizeMigrationJob(j, Date.now())).find((s) => s.result === 'running' || s.result === 'pending')
    if (running) {
      throw lockedError(`a migration Job is still running in ${environment.name}: ${running.name} (image ${running.image ?? '?'}, started ${running.startedAt ?? '?'} by ${running.runBy ?? 'unknown'})`, {
        hints: [`Wait for it (mkt migrate status --env ${environment.name}); it stops at its deadline. To stop it now: kubectl -n ${connection.namespace} delete job ${running.name}.`],
      })
    }

    const startedAt = new Date()
    const name = migrationJobName(startedAt, Math.random().toString(36).slice(2, 6))
    const job = renderMigrationJob(template, {
      name,
      namespace: connection.namespace,
      environment: environment.name,
      image,
      runBy: options.audit.runBy,
      startedAt: startedAt.toISOString(),
      timeoutSeconds: options.timeoutMs / 1000,
      ...(options.reason ? { reason: options.reason } : {}),
      ...(options.audit.gitSha ? { gitSha: options.audit.gitSha } : {}),
      ...(options.audit.runUrl ? { runUrl: options.audit.runUrl } : {}),
    })
    try {
      await batch.createNamespacedJob({ namespace: connection.namespace, body: job })
    } catch (error) {
      throw toKubeError(error, { ...where, action: `create the Job ${name}` })
    }
    onEvent(`created Job ${connection.namespace}/${name} (image ${image}, timeout ${formatDuration(options.timeoutMs)})`)

    const base = { environment: environment.name, region: connection.region, namespace: connection.namespace, name, image, startedAt: startedAt.toISOString(), runBy: options.audit.runBy }
    const outcome = await waitForJob(options, { connection, batch, core, name, container, startedAt: startedAt.getTime() })
    const durationMs = Date.now() - startedAt.getTime()
    await pruneHistory(batch, connection, onEvent)
    return { ...base, ...outcome, durationMs, error: outcomeError(outcome, { ...base, timeoutMs: options.timeoutMs }) }
  } finally {
    await lock.release().catch(() => undefined)
  }
}

interface WaitContext {
  connection: ClusterConnection
  batch: BatchV1Api
  core: CoreV1Api
  name: string
  container: string
  startedAt: number
}

interface WaitOutcome {
  result: JobResult | 'interrupted'
  reason: string
  finishedAt: string | null
  logTail: string[]
}

/** Polls the Job and its pods until it finishes, fails to start, times out or the run is interrupted. */
async function waitForJob(options: JobRunOptions, ctx: WaitContext): Promise<WaitOutcome> {
  const { connection, batch, core, name, container } = ctx
  const where = { region: connection.region, server: connection.server }
  const interval = options.pollIntervalMs ?? 500
  let follower: Follower | undefined
  let followedPod: string | undefined
  let lastPods: V1Pod[] = []
  let verdict: { result: JobResult | 'interrupted'; reason: string; finishedAt: string | null } | undefined
  let announced = ''

  while (!verdict) {
    if (options.signal.aborted) {
      verdict = { result: 'interrupted', reason: 'interrupted; the Job keeps running until it finishes or reaches its deadline', finishedAt: null }
      break
    }
    let job: V1Job
    try {
      job = await batch.readNamespacedJob({ name, namespace: connection.namespace })
      lastPods = (await core.listNamespacedPod({ namespace: connection.namespace, labelSelector: `job-name=${name}` })).items
    } catch (error) {
      throw toKubeError(error, { ...where, action: `read the Job ${name}` })
    }
    // Followed even when nothing is printed (--json, --quiet): the lines are the tail if the pod is gone at the end.
    if (!follower) {
      const pod = podToFollow(lastPods, container)?.metadata?.name
      if (pod) {
        followedPod = pod
        follower = await followLog(connection, pod, container, options.onLog ?? (() => undefined)).catch(() => undefined)
      }
    }
    const outcome = jobOutcome(job)
    if (outcome.reason !== announced && !isFinished(outcome)) {
      announced = outcome.reason
      options.onEvent(`${name}: ${outcome.reason}`)
    }
    if (isFinished(outcome)) {
      verdict = { result: outcome.result, reason: outcome.reason, finishedAt: outcome.finishedAt ?? new Date().toISOString() }
      break
    }
    const stuck = podFailureSignals(lastPods, { now: Date.now(), restartBurst: DEFAULT_RESTART_BURST, transientWindowMs: 0 }).find((s) => DECISIVE.has(s.reason))
    if (stuck) {
      // The pod cannot start as it is (wrong image tag, missing Secret…): stop the Job now rather than leave it to
      // block the next run until its deadline.
      await batch.deleteNamespacedJob({ name, namespace: connection.namespace, propagationPolicy: 'Background' }).catch(() => undefined)
      verdict = { result: 'failed', reason: `${stuck.reason}: ${stuck.message} (the Job was deleted)`, finishedAt: new Date().toISOString() }
      break
    }
    const elapsed = Date.now() - ctx.startedAt
    if (elapsed > options.timeoutMs + DEADLINE_GRACE_MS) {
      verdict = { result: 'timed-out', reason: `not finished after ${formatDuration(options.timeoutMs)}; the cluster stops it at its deadline (activeDeadlineSeconds)`, finishedAt: null }
      break
    }
    await sleep(interval, options.signal)
  }

  // The rest of the log: what the follower has not printed yet (or all of it, when the pod finished before we
  // could follow), and its last lines for the report.
  const pod = followedPod ?? podToFollow(lastPods, container)?.metadata?.name
  if (follower) {
    await Promise.race([follower.done, sleep(2_000, options.signal)])
    follower.stop()
  }
  const lines = pod ? await readLog(core, connection, pod, container) : []
  if (options.onLog) lines.slice(follower?.lines ?? 0).forEach(options.onLog)
  return { ...verdict, logTail: lines.length > 0 ? lines.slice(-LOG_TAIL_LINES) : (follower?.recent ?? []) }
}

function outcomeError(outcome: WaitOutcome, ctx: { environment: string; name: string; image: string; timeoutMs: number; namespace: string }): MktError | null {
  const tail = outcome.logTail.length > 0 ? `\n${outcome.logTail.map((l) => `  ${l}`).join('\n')}` : ''
  switch (outcome.result) {
    case 'succeeded':
      return null
    case 'timed-out':
      return timeoutError(`migration Job ${ctx.name} (${ctx.image}) timed out after ${formatDuration(ctx.timeoutMs)} in ${ctx.environment}: ${outcome.reason}${tail}`, {
        hints: ['Each migration is its own transaction: once the Job has stopped it is safe to run again, with a longer --timeout if the migration is slow.', `kubectl -n ${ctx.namespace} logs job/${ctx.name}`],
      })
    case 'interrupted':
      return new MktError('INTERRUPTED', ExitCode.INTERRUPTED, `interrupted while migration Job ${ctx.name} was running; it keeps running until it finishes or reaches its deadline`, {
        hints: [`mkt migrate status --env ${ctx.environment}`, `To stop it now: kubectl -n ${ctx.namespace} delete job ${ctx.name}`],
      })
    default:
      return failedError(`migration Job ${ctx.name} (${ctx.image}) failed in ${ctx.environment}: ${outcome.reason}${tail ? `; last log lines:${tail}` : ''}`, {
        hints: [`The full log: kubectl -n ${ctx.namespace} logs job/${ctx.name}`, 'Nothing rolls out until migrations succeed: fix the migration and run again.'],
      })
  }
}

/** Deletes finished migration Jobs beyond the history limit (oldest first). Best effort. */
async function pruneHistory(batch: BatchV1Api, connection: ClusterConnection, onEvent: (message: string) => void): Promise<void> {
  try {
    for (const name of jobsToPrune(await listMigrationJobs(batch, connection))) {
      await batch.deleteNamespacedJob({ name, namespace: connection.namespace, propagationPolicy: 'Background' })
      onEvent(`pruned old migration Job ${name}`)
    }
  } catch {
    // History pruning must never fail a migration.
  }
}

export interface MigrationStatus {
  environment: string
  runner: 'job'
  region: string
  namespace: string
  sql: null
  jobs: MigrationJobSummary[]
}

/** `mkt migrate status`: the migration Jobs of the primary region, newest first. */
export async function migrationStatus(platform: Platform, environment: Environment, limit: number): Promise<MigrationStatus> {
  const connection = await primaryConnection(platform, environment, 'SQL migrations have no Jobs: `mkt migrate status --sql <dir>` shows what the database has applied.')
  const batch = connection.kubeConfig.makeApiClient((await loadKubeClient()).BatchV1Api)
  const now = Date.now()
  const jobs = sortNewestFirst((await listMigrationJobs(batch, connection)).map((j) => summarizeMigrationJob(j, now))).slice(0, limit)
  return { environment: environment.name, runner: 'job', region: connection.region, namespace: connection.namespace, sql: null, jobs }
}
