// The release record: one ConfigMap `mkt-release-<id>` in the primary region's namespace, written by the run
// that holds the release lock after every step (so a killed runner leaves the record where it stopped), read by
// `release status`, `release history`, `--resume` and `release rollback`. It holds no secret: configuration
// values are ConfigMap data (secrets are Key Vault references), images, revisions, names and times.
import { randomBytes } from 'node:crypto'
import type { CoreV1Api, V1ConfigMap } from '@kubernetes/client-node'
import { usageError } from '../errors.js'
import { loadKubeClient, type ClusterConnection } from '../kube/client.js'
import { kubeStatusOf, toKubeError } from '../kube/errors.js'
import type { ItemResult } from '../rollout/release.js'

export const RECORD_LABEL = 'mkt.dev/release'
export const RECORD_KEY = 'record.json'
export const recordName = (id: string) => `mkt-release-${id}`

export type ReleaseStatus = 'running' | 'succeeded' | 'failed' | 'rolled-back' | 'rollback-failed' | 'interrupted'
export type StepName = 'migrations' | 'configuration' | 'components' | 'verify' | 'rollback'
export type StepStatus = 'pending' | 'running' | 'succeeded' | 'failed' | 'skipped'

export interface RecordStep {
  name: StepName
  status: StepStatus
  startedAt: string | null
  finishedAt: string | null
  durationMs: number | null
  detail: string
}

/** One component in one region: the engine's ItemResult fields, its wave, and what it changes. */
export interface RecordItem extends Pick<ItemResult, 'region' | 'component' | 'from' | 'to' | 'fromRevision' | 'toRevision' | 'reason' | 'durationMs'> {
  wave: number
  /** What changes: the image, the configuration (checksum on the pod template), or both. */
  changes: Array<'image' | 'configuration'>
  /** The engine's outcome, or `running` / `not-started` while the release runs. */
  outcome: string
}

export interface RecordConfigMap {
  region: string
  component: string
  configMap: string
  changed: boolean
  /** Its data before this release (null: it did not exist), so a rollback puts it back. */
  previous: Record<string, string> | null
}

export interface ReleaseRecord {
  id: string
  name: string
  version: string
  environment: string
  primaryRegion: string
  /** Where this record and the release lock live (absent in records of older mkt: primaryRegion). */
  recordRegion?: string
  regions: string[]
  manifestDigest: string
  startedBy: string
  reason: string | null
  gitSha: string | null
  runUrl: string | null
  startedAt: string
  updatedAt: string
  finishedAt: string | null
  status: ReleaseStatus
  exitCode: number | null
  failure: string | null
  /** 1, then one more per --resume. */
  attempts: number
  steps: RecordStep[]
  migrations: { runner: 'sql' | 'job'; applied: Array<{ version: number; name: string }>; databaseVersion: number | null; image: string | null; forwardOnly: true } | null
  configuration: RecordConfigMap[]
  items: RecordItem[]
}

/** A fresh id: sortable by time, DNS-label safe (`20261202-121530-a1b2`). */
export function newReleaseId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15)
  return `${stamp}-${randomBytes(2).toString('hex')}`
}

const ID_PATTERN = /^[0-9]{8}-[0-9]{6}-[0-9a-f]{4}$/
export function checkReleaseId(id: string): string {
  if (!ID_PATTERN.test(id)) throw usageError(`"${id}" is not a release id (they look like 20261202-121530-a1b2)`, { hints: ['`mkt release history` lists them.'] })
  return id
}

export class RecordStore {
  private constructor(
    private readonly core: CoreV1Api,
    private readonly connection: ClusterConnection,
  ) {}

  static async open(connection: ClusterConnection): Promise<RecordStore> {
    const k8s = await loadKubeClient()
    return new RecordStore(connection.kubeConfig.makeApiClient(k8s.CoreV1Api), connection)
  }

  private where(action: string) {
    return { region: this.connection.region, action }
  }

  private body(record: ReleaseRecord): V1ConfigMap {
    return {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: recordName(record.id),
        namespace: this.connection.namespace,
        labels: { [RECORD_LABEL]: record.id, 'app.kubernetes.io/managed-by': 'mkt', 'mkt.dev/release-status': record.status },
        annotations: { 'mkt.dev/release-name': record.name, 'mkt.dev/release-version': record.version },
      },
      data: { [RECORD_KEY]: JSON.stringify(record, null, 1) },
    }
  }

  async create(record: ReleaseRecord): Promise<void> {
    try {
      await this.core.createNamespacedConfigMap({ namespace: this.connection.namespace, body: this.body(record) })
    } catch (error) {
      throw toKubeError(error, this.where(`create configmap ${recordName(record.id)}`))
    }
  }

  /** Replaces the record (only the holder of the release lock writes it). */
  async save(record: ReleaseRecord): Promise<void> {
    record.updatedAt = new Date().toISOString()
    try {
      await this.core.replaceNamespacedConfigMap({ name: recordName(record.id), namespace: this.connection.namespace, body: this.body(record) })
    } catch (error) {
      throw toKubeError(error, this.where(`update configmap ${recordName(record.id)}`))
    }
  }

  async read(id: string): Promise<ReleaseRecord | undefined> {
    try {
      const cm = await this.core.readNamespacedConfigMap({ name: recordName(id), namespace: this.connection.namespace })
      return parseRecord(cm)
    } catch (error) {
      if (kubeStatusOf(error).code === 404) return undefined
      throw toKubeError(error, this.where(`read configmap ${recordName(id)}`))
    }
  }

  /** Every release record of this namespace, newest first. */
  async list(): Promise<ReleaseRecord[]> {
    try {
      const list = await this.core.listNamespacedConfigMap({ namespace: this.connection.namespace, labelSelector: RECORD_LABEL })
      return list.items
        .map(parseRecord)
        .filter((r): r is ReleaseRecord => r !== undefined)
        .sort((a, b) => b.startedAt.localeCompare(a.startedAt))
    } catch (error) {
      throw toKubeError(error, this.where('list release records'))
    }
  }
}

function parseRecord(cm: V1ConfigMap): ReleaseRecord | undefined {
  const text = cm.data?.[RECORD_KEY]
  if (!text) return undefined
  try {
    return JSON.parse(text) as ReleaseRecord
  } catch {
    return undefined
  }
}

export function emptySteps(): RecordStep[] {
  return (['migrations', 'configuration', 'components', 'verify'] as const).map((name) => ({ name, status: 'pending', startedAt: null, finishedAt: null, durationMs: null, detail: '' }))
}

/** Marks a step started / finished on the record (the caller saves). */
export function stepOf(record: ReleaseRecord, name: StepName): RecordStep {
  let step = record.steps.find((s) => s.name === name)
  if (!step) {
    step = { name, status: 'pending', startedAt: null, finishedAt: null, durationMs: null, detail: '' }
    record.steps.push(step)
  }
  return step
}

export function startStep(step: RecordStep, detail = ''): void {
  step.status = 'running'
  step.startedAt = new Date().toISOString()
  step.finishedAt = null
  step.durationMs = null
  step.detail = detail
}

export function finishStep(step: RecordStep, status: StepStatus, detail: string): void {
  step.status = status
  step.finishedAt = new Date().toISOString()
  step.durationMs = step.startedAt ? Date.parse(step.finishedAt) - Date.parse(step.startedAt) : 0
  step.detail = detail
}
