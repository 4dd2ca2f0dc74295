// The roll-up kept current: Kubernetes state from the informers (in memory), application probes on a
// jittered interval per component and region (and again soon after Kubernetes changes that component),
// Service Bus backlog on the same interval. Readers (HTTP, metrics, events) only ever read the last model,
// so a dashboard hit costs no request to the cluster, and a slow probe holds up nothing but its own line.
import type { KubeConfig, V1Deployment, V1Pod, V1Service } from '@kubernetes/client-node'
import { connectRegion } from '../../kube/client.js'
import { closeKubeConnections } from '../../kube/http.js'
import type { Component, Region } from '../../platform/schema.js'
import { createLimiter } from '../../pool.js'
import { redactor } from '../../redact.js'
import type { BacklogResult } from '../backlog.js'
import { podsOf } from '../targets.js'
import { composeModel, healthFailure, probesFor, readBacklogs, type HealthOptions, type RegionState } from '../probe.js'
import { hpaView, scaledObjectView, scalerFor } from '../scaling.js'
import { componentRegionHealth, withScaling, type HealthModel, type HealthOrUnknown, type ProbeAnswer } from '../report.js'
import { RegionWatch } from './informers.js'

export interface ServeOptions extends HealthOptions {
  probeIntervalMs: number
  failOn: 'unhealthy' | 'degraded'
}

export interface LineChange {
  component: string
  region: string
  from: HealthOrUnknown | null
  to: HealthOrUnknown
  explanation: string
}

/** One Server-Sent Event's worth: what changed since the previous roll-up. */
export interface HealthChange {
  at: string
  environment: string
  health: HealthOrUnknown
  changes: LineChange[]
}

export interface AggregatorListener {
  /** After every new roll-up (metrics), with the lines that changed (events) when any did. */
  updated?(model: HealthModel, change: HealthChange | undefined): void
  /** Every probe answer as it comes (latency histograms). */
  probed?(region: string, component: string, answer: ProbeAnswer): void
}

/** The smallest gap between two probe rounds of one line, however fast Kubernetes changes it. */
const MIN_PROBE_GAP_MS = 1000
/** Kubernetes events come in bursts (a rollout touches pods, ReplicaSets, the Deployment): settle first. */
const RECOMPUTE_DEBOUNCE_MS = 100
const RECONNECT_MS = 5000

interface RegionEntry {
  region: Region
  kubeConfig?: KubeConfig
  watch?: RegionWatch
  connectError?: string
  at: string
}

interface LineSchedule {
  component: Component
  region: RegionEntry
  timer?: NodeJS.Timeout
  running: boolean
  again: boolean
  lastRun: number
  probed: boolean
  answers: ProbeAnswer[]
  /** Resource versions of the Deployment and its pods: when they move, Kubernetes changed this line. */
  signature: string
  observedAt: string
}

/** `d ± 20 %`: probes of sixteen components must not all land in the same millisecond. */
export function jittered(ms: number, random = Math.random()): number {
  return Math.round(ms * (0.8 + random * 0.4))
}

export class HealthAggregator {
  private readonly regions: RegionEntry[]
  private readonly lines = new Map<string, LineSchedule>()
  private readonly limit: <T>(task: () => Promise<T>) => Promise<T>
  private readonly listeners = new Set<AggregatorListener>()
  private backlog: ReadonlyMap<string, BacklogResult[]> = new Map()
  private backlogRead = false
  private backlogTimer?: NodeJS.Timeout
  private recomputeTimer?: NodeJS.Timeout
  private stopped = false
  private model?: HealthModel
  private envelope = ''
  private previousLines = new Map<string, { health: HealthOrUnknown; explanation: string }>()

  constructor(private readonly options: ServeOptions) {
    const at = new Date().toISOString()
    this.regions = options.regions.map((region) => ({ region, at }))
    this.limit = createLimiter(options.concurrency)
    for (const region of this.regions) {
      for (const component of options.components) {
        this.lines.set(keyOf(region.region.name, component.name), { component, region, running: false, again: false, lastRun: 0, probed: false, answers: [], signature: '', observedAt: at })
      }
    }
  }

  subscribe(listener: AggregatorListener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /** Connects every region and starts watching and probing; resolves when each region's first list is in. */
  async start(): Promise<void> {
    await Promise.all(this.regions.map((entry) => this.connect(entry)))
    this.recompute()
    // The first round at once (spread over a second), then every interval with jitter.
    for (const line of this.lines.values()) this.schedule(line, Math.random() * 1000)
    void this.readBacklog()
  }

  /** The current roll-up, if there is one. */
  current(): HealthModel | undefined {
    return this.model
  }

  /** The /health body: `mkt health --json`'s envelope for the current model, serialised once per change. */
  currentEnvelope(): string {
    return this.envelope
  }

  /** Ready to answer for every line: each region listed (or is known unreachable), each line probed once, backlog read. */
  get ready(): boolean {
    if (!this.model || !this.backlogRead) return false
    for (const entry of this.regions) {
      if (entry.connectError !== undefined) continue
      if (!entry.watch?.settled) return false
    }
    return [...this.lines.values()].every((line) => line.probed || this.regionFailure(line.region) !== undefined)
  }

  /** Informer caches, for series the model does not carry (autoscalers). */
  watches(): Array<{ region: string; watch: RegionWatch }> {
    return this.regions.filter((r) => r.watch).map((r) => ({ region: r.region.name, watch: r.watch! }))
  }

  async stop(): Promise<void> {
    this.stopped = true
    clearTimeout(this.recomputeTimer)
    clearTimeout(this.backlogTimer)
    for (const line of this.lines.values()) clearTimeout(line.timer)
    await Promise.all(
      this.regions.map(async (entry) => {
        await entry.watch?.stop()
        if (entry.kubeConfig) await closeKubeConnections(entry.kubeConfig)
      }),
    )
  }

  private async connect(entry: RegionEntry): Promise<void> {
    if (this.stopped) return
    try {
      const connection = await connectRegion(this.options.platform, this.options.environment, entry.region)
      if (this.stopped) return
      entry.kubeConfig = connection.kubeConfig
      entry.connectError = undefined
      entry.watch = new RegionWatch(connection.kubeConfig, entry.region.namespace, this.options.timeoutMs * 2, () => this.scheduleRecompute())
      await entry.watch.start()
      if (this.stopped) await entry.watch.stop()
    } catch (error) {
      // No kubeconfig yet (AKS credentials, a sandbox that is not up): keep trying, report the region meanwhile.
      entry.connectError = (error as Error).message.split('\n')[0]
      entry.at = new Date().toISOString()
      if (!this.stopped) setTimeout(() => void this.connect(entry).then(() => this.scheduleRecompute()), RECONNECT_MS).unref()
    }
  }

  private regionFailure(entry: RegionEntry): string | undefined {
    if (entry.connectError !== undefined) return entry.connectError
    return entry.watch ? entry.watch.failure() : 'connecting'
  }

  private schedule(line: LineSchedule, delayMs: number): void {
    if (this.stopped) return
    clearTimeout(line.timer)
    line.timer = setTimeout(() => void this.probe(line), delayMs)
  }

  /** Kubernetes changed this line: probe again soon (not more than once a second). */
  private kick(line: LineSchedule): void {
    if (line.running) {
      line.again = true
      return
    }
    this.schedule(line, Math.max(RECOMPUTE_DEBOUNCE_MS, line.lastRun + MIN_PROBE_GAP_MS - Date.now()))
  }

  private async probe(line: LineSchedule): Promise<void> {
    if (this.stopped) return
    line.running = true
    line.again = false
    try {
      const { watch, kubeConfig } = line.region
      if (watch && kubeConfig && this.regionFailure(line.region) === undefined) {
        const deployment = findDeployment(watch, line.component.name)
        const pods = deployment ? podsOf(deployment, watch.objects<V1Pod>('pods')) : []
        const services = watch.objects<V1Service>('services')
        const tasks = deployment ? probesFor(line.component, { region: line.region.region, kubeConfig, services }, deployment, pods, this.options.timeoutMs) : []
        // Each probe waits for a slot on its own: a slow component never holds a fast one's slot longer than its timeout.
        line.answers = await Promise.all(tasks.map((task) => this.limit(task)))
        for (const answer of line.answers) for (const listener of this.listeners) listener.probed?.(line.region.region.name, line.component.name, answer)
        line.probed = true
      }
    } finally {
      line.running = false
      line.lastRun = Date.now()
    }
    this.scheduleRecompute()
    if (line.again) this.kick(line)
    else this.schedule(line, jittered(this.options.probeIntervalMs))
  }

  private async readBacklog(): Promise<void> {
    if (this.stopped) return
    this.backlog = await readBacklogs(this.options)
    this.backlogRead = true
    this.scheduleRecompute()
    if (!this.stopped) this.backlogTimer = setTimeout(() => void this.readBacklog(), jittered(this.options.probeIntervalMs))
  }

  private scheduleRecompute(): void {
    if (this.recomputeTimer || this.stopped) return
    this.recomputeTimer = setTimeout(() => {
      this.recomputeTimer = undefined
      this.recompute()
    }, RECOMPUTE_DEBOUNCE_MS)
  }

  private recompute(): void {
    const started = Date.now()
    const states: RegionState[] = this.regions.map((entry) => {
      const error = this.regionFailure(entry)
      return { region: entry.region, ...(error !== undefined ? { error } : {}), at: entry.watch?.state('deployments').at ?? entry.at }
    })
    const lineOf = (component: Component, region: Region) => {
      const line = this.lines.get(keyOf(region.name, component.name))!
      const watch = line.region.watch!
      const deployment = findDeployment(watch, component.name)
      const pods = deployment ? podsOf(deployment, watch.objects<V1Pod>('pods')) : []
      const signature = [deployment?.metadata?.resourceVersion ?? '-', ...pods.map((p) => p.metadata?.resourceVersion ?? '')].sort().join(',')
      if (signature !== line.signature) {
        const first = line.signature === ''
        line.signature = signature
        line.observedAt = new Date().toISOString()
        if (!first) this.kick(line)
      }
      const health = componentRegionHealth(region.name, deployment, pods, line.answers, line.observedAt)
      // The autoscaler's view from the watched HPAs/ScaledObjects (the backlog trend is the one-shot check's).
      const hpa = deployment ? scalerFor(component.name, watch.objects<Record<string, unknown>>('horizontalpodautoscalers')) : undefined
      const scaledObject = deployment && !hpa ? scalerFor(component.name, watch.objects<Record<string, unknown>>('scaledobjects')) : undefined
      const scaling = hpa ? hpaView(hpa, Date.now()) : scaledObject ? scaledObjectView(scaledObject, deployment?.spec?.replicas ?? 1, null) : null
      return withScaling(health, scaling)
    }
    const model = composeModel(this.options, states, lineOf, this.backlog, Date.now() - started)
    const failure = healthFailure(model, this.options.failOn)
    const envelope = failure
      ? { ok: false, error: { code: failure.code, exitCode: failure.exitCode, message: failure.message, hints: failure.hints }, result: model, warnings: [] }
      : { ok: true, result: model, warnings: [] }
    this.model = model
    this.envelope = redactor.redact(JSON.stringify(envelope))
    const change = this.diff(model)
    for (const listener of this.listeners) listener.updated?.(model, change)
  }

  /** The lines whose health or explanation moved since the last roll-up. */
  private diff(model: HealthModel): HealthChange | undefined {
    const changes: LineChange[] = []
    const next = new Map<string, { health: HealthOrUnknown; explanation: string }>()
    for (const component of model.components) {
      for (const line of component.regions) {
        const key = keyOf(line.region, component.name)
        const before = this.previousLines.get(key)
        next.set(key, { health: line.health, explanation: line.explanation })
        if (!before || before.health !== line.health || before.explanation !== line.explanation) {
          changes.push({ component: component.name, region: line.region, from: before?.health ?? null, to: line.health, explanation: line.explanation })
        }
      }
    }
    const first = this.previousLines.size === 0
    this.previousLines = next
    return changes.length > 0 && !first ? { at: model.checkedAt, environment: model.environment, health: model.health, changes } : undefined
  }
}

const keyOf = (region: string, component: string) => `${region}/${component}`

function findDeployment(watch: RegionWatch, name: string): V1Deployment | undefined {
  return watch.objects<V1Deployment>('deployments').find((d) => d.metadata?.name === name)
}
