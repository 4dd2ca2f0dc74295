// A fake runtime for the release engine's unit tests: one region's Deployments behind the RegionExecutor
// interface. Patches are applied with the sandbox's own strategic-merge and JSON-patch code, and a tiny
// Deployment controller makes (or re-adopts and renumbers) the new ReplicaSet and copies the Deployment's
// annotations onto it, as the real one does. Gates are scripted per test; every call is recorded in order.
import type { V1Deployment, V1ReplicaSet } from '@kubernetes/client-node'
import { computePodTemplateHash } from '../../src/sandbox/controllers/hash.js'
import { mergeSchemaFor } from '../../src/sandbox/kube/merge-schema.js'
import { applyJsonPatch, applyStrategicMergePatch, decodeJsonPatch } from '../../src/sandbox/kube/patch.js'
import type { Component } from '../../src/platform/schema.js'
import { lockedError, unavailableError } from '../../src/errors.js'
import type { GateOptions, LockRequest, RegionExecutor, ReleaseLock, Workload } from '../../src/rollout/executor.js'
import { ANNOTATIONS_TO_SKIP, REVISION_ANNOTATION } from '../../src/rollout/objects.js'
import { JSON_PATCH, type PatchRequest } from '../../src/rollout/patches.js'
import type { PlanEntry } from '../../src/rollout/plan.js'
import { equalIgnoreHash, newReplicaSet } from '../../src/rollout/status.js'
import type { WaitResult } from '../../src/rollout/wait.js'

export type Call =
  | { region: string; op: 'lock' | 'release'; component: string }
  | { region: string; op: 'patch'; component: string; body: unknown; contentType: string }
  | { region: string; op: 'patch-rs'; name: string; body: unknown }
  | { region: string; op: 'gates'; component: string; image: string; bakeMs: number }

/** What a gate wait does: pass, fail with a reason, throw, or wait until aborted (or its budget runs out). */
export type GateScript = { outcome: 'passed' } | { outcome: 'failed'; reason: string } | { throws: Error } | { hang: true }

export interface GateCall {
  region: string
  component: string
  image: string
  options: GateOptions
  /** Rollback waits have no bake and cannot be aborted. */
  rollback: boolean
}

type Json = Record<string, unknown>

const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T

export function component(name: string): Component {
  return { name, kind: 'service', port: 8080, health: { live: '/health/live', ready: '/health/ready' }, public: false, dependsOn: [] } as unknown as Component
}

export function planEntry(region: string, name: string, to: string, options: Partial<PlanEntry> = {}): PlanEntry {
  return { region, component: name, container: name, from: `${name}:1.0.0`, to, changes: true, strategy: 'rolling', gates: [], revision: 1, blockers: [], notes: [], ...options }
}

export class FakeCluster implements RegionExecutor {
  readonly deployments = new Map<string, Json>()
  readonly replicaSets = new Map<string, Json[]>()
  readonly locks = new Map<string, { lost: AbortController; released: boolean }>()
  /** Script for a forward gate wait; default passed. */
  gate: (call: GateCall) => GateScript = () => ({ outcome: 'passed' })
  /** Script for a rollback wait; default passed. */
  rollbackGate: (call: GateCall) => GateScript = () => ({ outcome: 'passed' })
  /** Called before every recorded call is performed; throw to make that call fail. */
  before: (call: Call) => void = () => undefined
  lockRefused = new Set<string>()
  private uid = 0

  constructor(
    readonly region: string,
    readonly calls: Call[],
    names: string[],
  ) {
    for (const name of names) this.add(name)
  }

  private add(name: string): void {
    const template = { metadata: { creationTimestamp: null, labels: { app: name } }, spec: { containers: [{ name, image: `${name}:1.0.0` }] } }
    this.deployments.set(name, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, namespace: 'marketplace', uid: `uid-${name}`, generation: 1, annotations: {} },
      spec: { replicas: 2, selector: { matchLabels: { app: name } }, template, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } } },
      status: {},
    })
    this.replicaSets.set(name, [])
    this.sync(name)
  }

  /** The Deployment controller, instantly: new ReplicaSet made or re-adopted, renumbered, annotations copied. */
  private sync(name: string): void {
    const d = this.deployments.get(name)! as { metadata: Json & { annotations: Record<string, string>; generation: number }; spec: Json & { template: Json; paused?: boolean; replicas: number }; status: Json }
    const sets = this.replicaSets.get(name)!
    let current = sets.find((rs) => equalIgnoreHash((rs as { spec: { template: never } }).spec.template, d.spec.template as never)) as
      | { metadata: { name: string; annotations: Record<string, string>; labels: Record<string, string> }; spec: { replicas: number; template: Json } }
      | undefined
    const maxRevision = Math.max(0, ...sets.map((rs) => Number((rs as { metadata: { annotations: Record<string, string> } }).metadata.annotations[REVISION_ANNOTATION])))
    if (!current && d.spec.paused !== true) {
      const hash = computePodTemplateHash(d.spec.template as never)
      const template = clone(d.spec.template) as { metadata: { labels: Record<string, string> } }
      template.metadata.labels = { ...template.metadata.labels, 'pod-template-hash': hash }
      current = {
        metadata: { name: `${name}-${hash}`, labels: { ...template.metadata.labels }, annotations: {}, ...{ namespace: 'marketplace', uid: `rs-${++this.uid}`, creationTimestamp: new Date(Date.UTC(2026, 0, 1, 0, 0, this.uid)).toISOString(), ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name, uid: `uid-${name}`, controller: true }] } },
        spec: { replicas: 0, template },
      }
      sets.push(current as never)
    }
    if (current) {
      const revision = Number(current.metadata.annotations[REVISION_ANNOTATION] ?? 0)
      if (revision === 0 || revision < maxRevision) current.metadata.annotations[REVISION_ANNOTATION] = String(maxRevision + 1)
      for (const [key, value] of Object.entries(d.metadata.annotations)) if (!ANNOTATIONS_TO_SKIP.includes(key)) current.metadata.annotations[key] = value
      for (const rs of sets) (rs as { spec: { replicas: number } }).spec.replicas = rs === current ? d.spec.replicas : 0
      d.metadata.annotations[REVISION_ANNOTATION] = current.metadata.annotations[REVISION_ANNOTATION]!
    }
    const replicas = d.spec.replicas
    d.status = { observedGeneration: d.metadata.generation, replicas, updatedReplicas: replicas, readyReplicas: replicas, availableReplicas: replicas }
  }

  private record(call: Call): void {
    this.before(call)
    this.calls.push(call)
  }

  deployment(name: string): V1Deployment {
    return clone(this.deployments.get(name)) as V1Deployment
  }

  /** The ReplicaSets of a component, oldest first. */
  sets(name: string): V1ReplicaSet[] {
    return clone(this.replicaSets.get(name)!) as V1ReplicaSet[]
  }

  imageOf(name: string): string {
    return (this.deployment(name).spec!.template.spec!.containers[0]!.image)!
  }

  /** Verdict per image, from each ReplicaSet's own annotations. */
  verdicts(name: string): Record<string, string | undefined> {
    return Object.fromEntries(this.sets(name).map((rs) => [rs.spec!.template!.spec!.containers[0]!.image!, rs.metadata!.annotations!['mkt.dev/verdict']]))
  }

  async read(name: string): Promise<Workload | undefined> {
    await Promise.resolve()
    if (!this.deployments.has(name)) return undefined
    return { deployment: this.deployment(name), replicaSets: this.sets(name) }
  }

  async patch(name: string, patch: PatchRequest): Promise<V1Deployment> {
    await Promise.resolve()
    this.record({ region: this.region, op: 'patch', component: name, body: clone(patch.body), contentType: patch.contentType })
    const before = this.deployments.get(name)!
    const after = (patch.contentType === JSON_PATCH ? applyJsonPatch(before, decodeJsonPatch(patch.body)) : applyStrategicMergePatch(before, patch.body, mergeSchemaFor('Deployment'))) as Json & {
      metadata: { generation: number }
      spec: unknown
    }
    if (JSON.stringify(after.spec) !== JSON.stringify(before.spec)) after.metadata.generation += 1
    this.deployments.set(name, after)
    this.sync(name)
    return this.deployment(name)
  }

  async patchReplicaSet(rsName: string, patch: PatchRequest): Promise<void> {
    await Promise.resolve()
    this.record({ region: this.region, op: 'patch-rs', name: rsName, body: clone(patch.body) })
    for (const [name, sets] of this.replicaSets) {
      const index = sets.findIndex((rs) => (rs as { metadata: { name: string } }).metadata.name === rsName)
      if (index >= 0) sets[index] = applyStrategicMergePatch(sets[index]!, patch.body, mergeSchemaFor('ReplicaSet'))
      if (index >= 0) void name
    }
  }

  async awaitNewReplicaSet(deployment: V1Deployment) {
    await Promise.resolve()
    const name = deployment.metadata!.name!
    const workload = { deployment: this.deployment(name), replicaSets: this.sets(name) }
    const rs = newReplicaSet(workload.deployment, workload.replicaSets)
    return { ...workload, ...(rs ? { newReplicaSet: rs } : {}) }
  }

  async gates(target: Component, deployment: V1Deployment, options: GateOptions): Promise<WaitResult> {
    const name = target.name
    const image = this.imageOf(name)
    const rollback = options.bakeMs === 0 && !options.failWhen
    const call: GateCall = { region: this.region, component: name, image, options, rollback }
    this.record({ region: this.region, op: 'gates', component: name, image, bakeMs: options.bakeMs })
    void deployment
    const script = rollback ? this.rollbackGate(call) : this.gate(call)
    const snapshot = () => ({ deployment: this.deployment(name), replicaSets: this.sets(name), pods: [] })
    const result = (outcome: WaitResult['outcome'], reason: string): WaitResult => ({ outcome, reason, gates: [], warnings: [], elapsedMs: 1, snapshot: snapshot() })
    await new Promise((resolve) => setTimeout(resolve, 5))
    if ('throws' in script) throw script.throws
    if ('hang' in script) {
      if (options.signal.aborted) return result('interrupted', 'interrupted')
      return new Promise((resolve) => {
        const timer = setTimeout(() => resolve(result('timeout', 'hung')), options.timeoutMs)
        options.signal.addEventListener('abort', () => {
          clearTimeout(timer)
          resolve(result('interrupted', 'interrupted'))
        })
      })
    }
    const foreign = options.failWhen?.(snapshot())
    if (foreign) return result('failed', foreign)
    return script.outcome === 'passed' ? result('passed', 'all gates passed') : result('failed', script.reason)
  }

  async lock(request: LockRequest): Promise<ReleaseLock> {
    await Promise.resolve()
    this.record({ region: this.region, op: 'lock', component: request.component })
    if (this.lockRefused.has(request.component)) throw lockedError(`${request.component} in ${request.environment} is locked: held by someone@else/1`)
    const state = { lost: new AbortController(), released: false }
    this.locks.set(request.component, state)
    return {
      name: `mkt-lock-${request.environment}-${request.component}`,
      lost: state.lost.signal,
      assertHeld: () => {
        if (state.lost.signal.aborted) throw state.lost.signal.reason
      },
      verify: async () => !state.lost.signal.aborted,
      release: async () => {
        this.record({ region: this.region, op: 'release', component: request.component })
        state.released = true
      },
    }
  }

  /** Breaks a component's lock under its holder (what `mkt lock break` does to a running deploy). */
  loseLock(name: string): void {
    this.locks.get(name)!.lost.abort(lockedError(`lost the lock of ${name}: its lease was deleted (broken by \`mkt lock break\`)`))
  }

  /** The next call of this kind fails with a cluster-unreachable error (after the engine's retries, as it would). */
  failNext(op: Call['op'], component?: string): void {
    const previous = this.before
    let done = false
    this.before = (call) => {
      previous(call)
      if (!done && call.op === op && (component === undefined || ('component' in call && call.component === component))) {
        done = true
        throw unavailableError(`cannot reach the Kubernetes API in region ${this.region} to ${op} ${component ?? ''}: ECONNRESET`)
      }
    }
  }
}
