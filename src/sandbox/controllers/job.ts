// The Job controller (`pkg/controller/job`, batch/v1, NonIndexed completions): runs up to
// `parallelism` pods until `completions` succeed, or fails the Job once failures pass
// `backoffLimit` (BackoffLimitExceeded) or it runs past `activeDeadlineSeconds` (DeadlineExceeded).
import { formatTime, parseTime } from '../clock.js'
import { cloneJson, deepEqual } from '../json.js'
import type { KubeObject, Store } from '../types.js'
import type { Job, JobCondition, JobStatus, Pod } from './api.js'
import { controllerOf, isControlledBy, newControllerRef, R, splitKey } from './api.js'
import type { EventRecorder } from './events.js'
import { isPodActive, isPodReady, podsToDelete } from './pod-util.js'
import { isNotFound } from './replicaset.js'
import type { WorkQueue } from './runtime.js'

// ---- Pure ------------------------------------------------------------------------------------------

export function isJobFinished(job: Job): boolean {
  return (job.status?.conditions ?? []).some((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True')
}

/** Pod counts of a Job. */
export interface JobPodCounts {
  active: Pod[]
  succeeded: number
  failed: number
  ready: number
  /** Σ container restarts of active pods (restartPolicy OnFailure counts these against backoffLimit). */
  restarts: number
}

export function countJobPods(pods: Pod[]): JobPodCounts {
  const active = pods.filter(isPodActive)
  return {
    active,
    succeeded: pods.filter((p) => p.status?.phase === 'Succeeded').length,
    failed: pods.filter((p) => p.status?.phase === 'Failed').length,
    ready: active.filter(isPodReady).length,
    restarts: active.reduce((sum, p) => sum + (p.status?.containerStatuses ?? []).reduce((s, c) => s + (c.restartCount ?? 0), 0), 0),
  }
}

/** What one sync of a Job decides. */
export interface JobPlan {
  create: number
  delete: Pod[]
  status: JobStatus
  /** Set when the Job just finished: the event to record. */
  finished?: { type: 'Complete' | 'Failed'; reason: string; message: string }
}

function jobCondition(type: string, reason: string, message: string, now: number): JobCondition {
  const time = formatTime(now)
  return { type, status: 'True', lastProbeTime: time, lastTransitionTime: time, reason, message }
}

/**
 * `syncJob` without the writes: failure (past backoffLimit or activeDeadlineSeconds) deletes the
 * active pods; success (completions reached) sets completionTime; otherwise keep
 * min(parallelism, completions − succeeded) pods active.
 */
export function planJob(job: Job, pods: Pod[], now: number): JobPlan {
  const counts = countJobPods(pods)
  const status: JobStatus = cloneJson(job.status ?? {})
  status.startTime ??= formatTime(now)
  const completions = job.spec.completions ?? 1
  const parallelism = job.spec.parallelism ?? 1
  const backoffLimit = job.spec.backoffLimit ?? 6
  const restartPolicy = job.spec.template?.spec?.restartPolicy ?? 'Never'

  let failure: { reason: string; message: string } | undefined
  // Failed pods count against backoffLimit; with OnFailure the container restarts of active pods do
  // too (`pastBackoffLimitOnFailure`).
  const restartsPastLimit = restartPolicy === 'OnFailure' && (backoffLimit === 0 ? counts.restarts > 0 : counts.restarts >= backoffLimit)
  const pastBackoffLimit = counts.failed > backoffLimit || restartsPastLimit
  const startedAt = parseTime(status.startTime) ?? now
  if (pastBackoffLimit) failure = { reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' }
  else if (job.spec.activeDeadlineSeconds !== undefined && now - startedAt >= job.spec.activeDeadlineSeconds * 1000) {
    failure = { reason: 'DeadlineExceeded', message: 'Job was active longer than specified deadline' }
  }

  let create = 0
  let toDelete: Pod[] = []
  let finished: JobPlan['finished']
  if (failure) {
    toDelete = counts.active
    status.conditions = [...(status.conditions ?? []), jobCondition('Failed', failure.reason, failure.message, now)]
    finished = { type: 'Failed', ...failure }
  } else if (counts.succeeded >= completions) {
    toDelete = counts.active
    status.completionTime = formatTime(now)
    status.conditions = [...(status.conditions ?? []), jobCondition('Complete', 'CompletionsReached', 'Reached expected number of completions', now)]
    finished = { type: 'Complete', reason: 'Completed', message: 'Job completed' }
  } else if (!job.spec.suspend) {
    const wantActive = Math.min(parallelism, completions - counts.succeeded)
    if (counts.active.length < wantActive) create = wantActive - counts.active.length
    else if (counts.active.length > wantActive) toDelete = podsToDelete(counts.active, counts.active.length - wantActive)
  }

  const activeAfter = counts.active.length - toDelete.length + create
  const setOrDrop = (field: 'active' | 'succeeded' | 'failed' | 'ready', value: number) => {
    if (value > 0) status[field] = value
    else delete status[field]
  }
  setOrDrop('active', activeAfter)
  setOrDrop('ready', finished ? 0 : counts.ready)
  setOrDrop('succeeded', counts.succeeded)
  setOrDrop('failed', counts.failed)
  if (status.conditions?.length === 0) delete status.conditions
  return { create, delete: toDelete, status, finished }
}

/** A pod for the Job: its template, `<job>-<5 chars>`, controller ref, and the job-name / controller-uid labels. */
export function jobPod(job: Job): Pod {
  const template = cloneJson(job.spec.template ?? {})
  const uid = job.metadata.uid ?? ''
  const labels = {
    ...(template.metadata?.labels ?? {}),
    'batch.kubernetes.io/controller-uid': uid,
    'batch.kubernetes.io/job-name': job.metadata.name,
    'controller-uid': uid,
    'job-name': job.metadata.name,
  }
  const metadata: Pod['metadata'] = {
    name: '',
    generateName: `${job.metadata.name}-`,
    namespace: job.metadata.namespace,
    labels,
    ownerReferences: [newControllerRef(job)],
  }
  if (template.metadata?.annotations) metadata.annotations = template.metadata.annotations
  return { apiVersion: 'v1', kind: 'Pod', metadata, spec: template.spec ?? { containers: [] } }
}

// ---- The loop ----------------------------------------------------------------------------------------

export interface JobControllerDeps {
  store: Store
  now: () => number
  events: EventRecorder
  queue: () => WorkQueue
}

export function syncJob(deps: JobControllerDeps, key: string): void {
  const { namespace, name } = splitKey(key)
  const { store, events } = deps
  const job = store.get(R.jobs, namespace, name) as Job | undefined
  if (!job || job.metadata.deletionTimestamp || isJobFinished(job)) return
  const now = deps.now()
  const pods = (store.list(R.pods, namespace) as Pod[]).filter((pod) => isControlledBy(pod, job))
  const plan = planJob(job, pods, now)

  for (let i = 0; i < plan.create; i++) {
    const pod = store.create(R.pods, jobPod(job))
    events.event(job, 'Normal', 'SuccessfulCreate', `Created pod: ${pod.metadata.name}`)
  }
  for (const pod of plan.delete) {
    try {
      store.delete(R.pods, pod.metadata.namespace, pod.metadata.name, { uid: pod.metadata.uid })
      events.event(job, 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata.name}`)
    } catch (error) {
      if (!isNotFound(error)) throw error
    }
  }
  if (plan.finished) events.event(job, plan.finished.type === 'Failed' ? 'Warning' : 'Normal', plan.finished.reason, plan.finished.message)

  const current = store.get(R.jobs, namespace, name) as Job | undefined
  if (current && !deepEqual(current.status ?? {}, plan.status)) {
    store.update(R.jobs, { ...current, status: plan.status } as KubeObject, { subresource: 'status' })
  }
  if (!plan.finished && job.spec.activeDeadlineSeconds !== undefined) {
    deps.queue().addAt(key, (parseTime(plan.status.startTime) ?? now) + job.spec.activeDeadlineSeconds * 1000)
  }
}

/** The Job a pod belongs to, as a queue key. */
export function jobKeyOfPod(pod: Pod): string | undefined {
  const ref = controllerOf(pod.metadata)
  return ref?.kind === 'Job' ? `${pod.metadata.namespace ?? ''}/${ref.name}` : undefined
}
