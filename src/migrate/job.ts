// The migration Job, as pure functions over API objects: render it from templates/migration-job.yaml, read its
// outcome, summarise it for `mkt migrate status`. job-runner.ts does the I/O.
import type { V1Container, V1Job, V1Pod } from '@kubernetes/client-node'
import { invalidInputError } from '../errors.js'
import { isoOf, MKT_ANNOTATIONS } from '../rollout/objects.js'

export const MIGRATION_LABEL = 'mkt.dev/migration'
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by'
export const ENVIRONMENT_LABEL = 'mkt.dev/environment'
export const MIGRATION_ANNOTATIONS = {
  runBy: 'mkt.dev/run-by',
  startedAt: 'mkt.dev/started-at',
  image: 'mkt.dev/image',
  // The audit annotations a deploy writes too (src/rollout/objects.ts).
  reason: MKT_ANNOTATIONS.reason,
  gitSha: MKT_ANNOTATIONS.gitSha,
  runUrl: MKT_ANNOTATIONS.runUrl,
} as const
/** Finished migration Jobs kept as history; older ones are deleted after a run. */
export const JOB_HISTORY_LIMIT = 20

export interface JobValues {
  name: string
  namespace: string
  environment: string
  image: string
  runBy: string
  startedAt: string
  reason?: string
  gitSha?: string
  runUrl?: string
  /** Becomes activeDeadlineSeconds: the cluster stops the Job at mkt's timeout, so a timed-out run is not left running. */
  timeoutSeconds: number
}

/** `mkt-migration-20260102-150405-x7k2`: sortable, unique enough, a valid Job name (≤ 63 for the job-name label). */
export function migrationJobName(now: Date, suffix: string): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15)
  return `mkt-migration-${stamp}-${suffix.toLowerCase().replace(/[^a-z0-9]/g, '').slice(0, 4)}`
}

const LITERAL_CONNECTION = /(password|pwd)\s*=|postgres(ql)?:\/\/[^/\s:@]+:[^@\s]+@|Server=.*;/i

/** The migration container: the one named `migrations`, else the first. */
export function migrationContainer(job: V1Job): V1Container | undefined {
  const containers = job.spec?.template?.spec?.containers ?? []
  return containers.find((c) => c.name === 'migrations') ?? containers[0]
}

/**
 * Checks a parsed template is a batch/v1 Job whose migration container reads its connection string from a Secret
 * (secretKeyRef) and carries no literal connection string. `where` names the file in errors (exit 65).
 */
export function checkJobTemplate(template: unknown, where: string): V1Job {
  const job = template as V1Job
  if (!job || typeof job !== 'object' || job.apiVersion !== 'batch/v1' || job.kind !== 'Job') throw invalidInputError(`${where}: expected a batch/v1 Job`)
  const container = migrationContainer(job)
  if (!container) throw invalidInputError(`${where}: spec.template.spec.containers is empty`)
  const env = container.env ?? []
  const literal = env.find((e) => typeof e.value === 'string' && LITERAL_CONNECTION.test(e.value))
  if (literal) {
    throw invalidInputError(`${where}: env ${literal.name} of container ${container.name} holds a literal connection string`, {
      hints: ['Read it from a Kubernetes Secret: valueFrom.secretKeyRef { name, key } (synced from Key Vault by the Secrets Store CSI driver or External Secrets).'],
    })
  }
  if (!env.some((e) => e.valueFrom?.secretKeyRef?.name)) {
    throw invalidInputError(`${where}: container ${container.name} gets no connection string from a Secret`, {
      hints: ['Add an env entry with valueFrom.secretKeyRef { name, key }, like templates/migration-job.yaml.'],
    })
  }
  return job
}

/** The Job to create: the template with mkt's name, namespace, labels, annotations, image and deadline. */
export function renderMigrationJob(template: V1Job, values: JobValues): V1Job {
  const job = structuredClone(template)
  const labels = { ...(job.metadata?.labels ?? {}), [MANAGED_BY_LABEL]: 'mkt', [MIGRATION_LABEL]: 'true', [ENVIRONMENT_LABEL]: values.environment }
  const annotations: Record<string, string> = {
    ...(job.metadata?.annotations ?? {}),
    [MIGRATION_ANNOTATIONS.runBy]: values.runBy,
    [MIGRATION_ANNOTATIONS.startedAt]: values.startedAt,
    [MIGRATION_ANNOTATIONS.image]: values.image,
  }
  if (values.reason) annotations[MIGRATION_ANNOTATIONS.reason] = values.reason
  if (values.gitSha) annotations[MIGRATION_ANNOTATIONS.gitSha] = values.gitSha
  if (values.runUrl) annotations[MIGRATION_ANNOTATIONS.runUrl] = values.runUrl
  job.metadata = { ...(job.metadata ?? {}), name: values.name, namespace: values.namespace, labels, annotations }
  delete job.metadata.generateName
  job.spec = { ...job.spec!, activeDeadlineSeconds: Math.max(1, Math.ceil(values.timeoutSeconds)) }
  const podTemplate = job.spec.template
  podTemplate.metadata = { ...(podTemplate.metadata ?? {}), labels: { ...(podTemplate.metadata?.labels ?? {}), [MANAGED_BY_LABEL]: 'mkt', [MIGRATION_LABEL]: 'true' } }
  migrationContainer(job)!.image = values.image
  return job
}

export type JobResult = 'pending' | 'running' | 'succeeded' | 'failed' | 'timed-out'

export interface JobOutcome {
  result: JobResult
  reason: string
  finishedAt?: string
}

/** The Job's outcome from its conditions: Complete, Failed (DeadlineExceeded is a timeout), or still going. */
export function jobOutcome(job: V1Job): JobOutcome {
  const conditions = job.status?.conditions ?? []
  const complete = conditions.find((c) => c.type === 'Complete' && c.status === 'True')
  if (complete) {
    const finishedAt = isoOf(job.status?.completionTime ?? complete.lastTransitionTime)
    return { result: 'succeeded', reason: 'completed', ...(finishedAt ? { finishedAt } : {}) }
  }
  const failed = conditions.find((c) => c.type === 'Failed' && c.status === 'True')
  if (failed) {
    const finishedAt = isoOf(failed.lastTransitionTime)
    const result: JobResult = failed.reason === 'DeadlineExceeded' ? 'timed-out' : 'failed'
    return { result, reason: [failed.reason, failed.message].filter(Boolean).join(': ') || 'failed', ...(finishedAt ? { finishedAt } : {}) }
  }
  if ((job.status?.active ?? 0) > 0) return { result: 'running', reason: `${job.status?.active} pod(s) active` }
  return { result: 'pending', reason: 'waiting for a pod' }
}

export const isFinished = (outcome: JobOutcome) => outcome.result === 'succeeded' || outcome.result === 'failed' || outcome.result === 'timed-out'

/** The pod whose log to follow: the newest one of the Job that has a container started (running or done). */
export function podToFollow(pods: readonly V1Pod[], container: string): V1Pod | undefined {
  const started = pods.filter((p) => {
    const status = p.status?.containerStatuses?.find((s) => s.name === container)
    return status?.state?.running !== undefined || status?.state?.terminated !== undefined
  })
  return started.sort((a, b) => (isoOf(b.metadata?.creationTimestamp) ?? '').localeCompare(isoOf(a.metadata?.creationTimestamp) ?? ''))[0]
}

export interface MigrationJobSummary {
  name: string
  image: string | null
  startedAt: string | null
  finishedAt: string | null
  durationMs: number | null
  result: JobResult
  reason: string
  runBy: string | null
  why: string | null
}

export function summarizeMigrationJob(job: V1Job, now: number): MigrationJobSummary {
  const annotations = job.metadata?.annotations ?? {}
  const outcome = jobOutcome(job)
  // When mkt started the run (milliseconds, so runs within one second still sort), else what the cluster says.
  const startedAt = annotations[MIGRATION_ANNOTATIONS.startedAt] ?? isoOf(job.status?.startTime) ?? isoOf(job.metadata?.creationTimestamp) ?? null
  const finishedAt = outcome.finishedAt ?? null
  const end = finishedAt ? Date.parse(finishedAt) : isFinished(outcome) ? undefined : now
  return {
    name: job.metadata?.name ?? '',
    image: annotations[MIGRATION_ANNOTATIONS.image] ?? migrationContainer(job)?.image ?? null,
    startedAt,
    finishedAt,
    durationMs: startedAt && end !== undefined ? Math.max(0, end - Date.parse(startedAt)) : null,
    result: outcome.result,
    reason: outcome.reason,
    runBy: annotations[MIGRATION_ANNOTATIONS.runBy] ?? null,
    why: annotations[MIGRATION_ANNOTATIONS.reason] ?? null,
  }
}

/** Newest first (by start, then name: names carry a timestamp). */
export function sortNewestFirst(jobs: readonly MigrationJobSummary[]): MigrationJobSummary[] {
  return [...jobs].sort((a, b) => (b.startedAt ?? '').localeCompare(a.startedAt ?? '') || b.name.localeCompare(a.name))
}

/** Finished Jobs beyond the history limit (oldest), to delete after a run. Running Jobs are never pruned. */
export function jobsToPrune(jobs: readonly V1Job[], keep = JOB_HISTORY_LIMIT, now = Date.now()): string[] {
  const finished = sortNewestFirst(jobs.map((j) => summarizeMigrationJob(j, now)).filter((s) => s.result !== 'running' && s.result !== 'pending'))
  return finished.slice(keep).map((s) => s.name)
}

/** Splits streamed log text into complete lines, keeping the unfinished tail for the next chunk. */
export function splitLines(buffered: string, chunk: string): { lines: string[]; rest: string } {
  const text = buffered + chunk
  const parts = text.split('\n')
  const rest = parts.pop() ?? ''
  return { lines: parts.map((l) => l.replace(/\r$/, '')), rest }
}
