// The release engine's only door to a runtime: a small interface per region. RegionExecutor (read, patch, wait for
// the controller, gate, lock) is the Kubernetes one: KubeExecutor implements it over a cluster, and the unit tests
// drive the engine with a fake cluster through it. RevisionExecutor is the one of a runtime with immutable
// revisions and traffic weights (Container Apps, src/runtime/containerapps): the engine keeps locks, waves,
// fail-fast, the one compensation step and the results; the runtime carries out each step its own way.
import type { V1Deployment, V1ReplicaSet } from '@kubernetes/client-node'
import { LeaseLock } from '../kube/lock.js'
import type { Component } from '../platform/schema.js'
import type { RegionCluster, Snapshot } from './cluster.js'
import type { GateEvaluation, GateResult } from './gates.js'
import type { Verdict } from './objects.js'
import type { PatchRequest } from './patches.js'
import { newReplicaSet } from './status.js'
import { waitForGates, type WaitOutcome, type WaitResult } from './wait.js'

/** A Deployment and its ReplicaSets as the server sent them. */
export interface Workload {
  deployment: V1Deployment
  replicaSets: V1ReplicaSet[]
}

export interface GateOptions {
  bakeMs: number
  /** Overall cap of this wait. */
  timeoutMs: number
  /** No progress for this long fails the wait (wait.ts). */
  progressDeadlineMs?: number
  /** How long a never-Ready pod may run past its probe budget (gates.ts). */
  readyGraceMs?: number
  signal: AbortSignal
  expectedNewReplicas?: number
  /** Checked on every change: a reason ends the wait as failed (the template was changed by someone else). */
  failWhen?: (snapshot: Snapshot) => string | undefined
  onProgress?: (evaluation: GateEvaluation) => void
}

/** A held lock: `lost` aborts when it can no longer be proven ours; every write checks assertHeld() first. */
export interface ReleaseLock {
  readonly name: string
  readonly lost: AbortSignal
  assertHeld(): void
  /** Checks with the server that the lock is still ours (marking it lost if not). */
  verify(): Promise<boolean>
  release(): Promise<void>
}

export interface LockRequest {
  environment: string
  component: string
  identity: string
  operation: string
  reason?: string
}

export interface RegionExecutor {
  readonly region: string
  read(component: string): Promise<Workload | undefined>
  patch(component: string, patch: PatchRequest): Promise<V1Deployment>
  patchReplicaSet(name: string, patch: PatchRequest): Promise<void>
  /**
   * The Deployment's new ReplicaSet once the controller has observed `deployment`'s generation and created (or
   * re-adopted) it, scaled to at least `replicas` when given; undefined when the budget runs out or on abort.
   */
  awaitNewReplicaSet(deployment: V1Deployment, options: { replicas?: number; timeoutMs: number; signal: AbortSignal }): Promise<Workload & { newReplicaSet?: V1ReplicaSet }>
  gates(component: Component, deployment: V1Deployment, options: GateOptions): Promise<WaitResult>
  lock(request: LockRequest): Promise<ReleaseLock>
}

/** The executor of one region of a revision runtime (Container Apps). */
export interface RevisionExecutor {
  readonly runtime: 'revisions'
  readonly region: string
  lock(request: LockRequest): Promise<ReleaseLock>
  /** Reads the component and settles where it stands (known-good adopted, an abandoned release closed). */
  begin(component: Component, signal: AbortSignal): Promise<RevisionRelease>
}

export type AnyExecutor = RegionExecutor | RevisionExecutor

export const isRevisionExecutor = (executor: AnyExecutor): executor is RevisionExecutor => 'runtime' in executor && executor.runtime === 'revisions'

export interface RevisionGateOptions {
  bakeMs: number
  /** Overall cap of this wait. */
  timeoutMs: number
  /** No progress for this long fails the wait. */
  progressDeadlineMs?: number
  signal: AbortSignal
  onProgress?: (reason: string) => void
}

export interface RevisionOutcome {
  outcome: WaitOutcome
  reason: string
  gates: GateResult[]
  warnings: string[]
}

/** One component's release on a revision runtime. */
export interface RevisionRelease {
  readonly fromRevision: number | null
  /** The last verified revision: where a rollback goes (undefined when none is). */
  readonly target?: { revision: number; name: string; image: string }
  /** The revision this release made, once made. */
  readonly toRevision: number | null
  /**
   * A new revision running `image`, then traffic through `weights` (ascending, ending at 100), gated at each; at
   * 100% after the bake the previous revisions are deactivated. `write` wraps every change (lock check).
   */
  run(image: string, weights: number[], gate: Omit<RevisionGateOptions, 'onProgress'>, tools: { write: <T>(send: () => Promise<T>) => Promise<T>; say: (kind: 'patch' | 'wait', message: string) => void }): Promise<RevisionOutcome>
  recordVerdict(verdict: Verdict, reason: string): Promise<void>
  /** Traffic back to the target (activated if needed), this release's revision deactivated; then its gates. */
  rollback(timeoutMs: number, say: (message: string) => void): Promise<RevisionOutcome>
}

/** The executor of one region of a Kubernetes runtime (AKS, or the sandbox). */
export class KubeExecutor implements RegionExecutor {
  constructor(
    readonly cluster: RegionCluster,
    private readonly probeIntervalMs?: number,
  ) {}

  get region(): string {
    return this.cluster.region
  }

  async read(component: string): Promise<Workload | undefined> {
    const deployment = await this.cluster.readDeployment(component)
    if (!deployment) return undefined
    return { deployment, replicaSets: await this.cluster.replicaSetsOf(deployment) }
  }

  patch(component: string, patch: PatchRequest): Promise<V1Deployment> {
    return this.cluster.patchDeployment(component, patch)
  }

  patchReplicaSet(name: string, patch: PatchRequest): Promise<void> {
    return this.cluster.patchReplicaSet(name, patch)
  }

  async awaitNewReplicaSet(deployment: V1Deployment, options: { replicas?: number; timeoutMs: number; signal: AbortSignal }) {
    const until = Date.now() + options.timeoutMs
    for (;;) {
      const snapshot = await this.cluster.snapshot(deployment)
      const rs = newReplicaSet(snapshot.deployment, snapshot.replicaSets)
      const observed = (snapshot.deployment.metadata?.generation ?? 0) <= (snapshot.deployment.status?.observedGeneration ?? 0)
      const sized = options.replicas === undefined || (rs?.spec?.replicas ?? 0) >= options.replicas
      if ((observed && rs && sized) || Date.now() > until || options.signal.aborted) {
        return { deployment: snapshot.deployment, replicaSets: snapshot.replicaSets, ...(observed && rs ? { newReplicaSet: rs } : {}) }
      }
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }

  gates(component: Component, deployment: V1Deployment, options: GateOptions): Promise<WaitResult> {
    return waitForGates(this.cluster, {
      deployment,
      port: component.port,
      readyPath: component.health.ready,
      bakeMs: options.bakeMs,
      timeoutMs: options.timeoutMs,
      ...(options.progressDeadlineMs === undefined ? {} : { progressDeadlineMs: options.progressDeadlineMs }),
      ...(options.readyGraceMs === undefined ? {} : { readyGraceMs: options.readyGraceMs }),
      signal: options.signal,
      ...(options.expectedNewReplicas === undefined ? {} : { expectedNewReplicas: options.expectedNewReplicas }),
      ...(options.failWhen ? { failWhen: options.failWhen } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      ...(this.probeIntervalMs === undefined ? {} : { probeIntervalMs: this.probeIntervalMs }),
    })
  }

  lock(request: LockRequest): Promise<ReleaseLock> {
    return LeaseLock.acquire(this.cluster.connection, request)
  }
}

/**
 * An executor whose component locks were taken before the release began (`mkt release` takes them before its
 * migrations, so a deploy started meanwhile gets 73 instead of racing it): lock() hands back the held lock, and
 * releasing it is left to whoever took it.
 */
export function withHeldLocks<E extends AnyExecutor>(executor: E, held: ReadonlyMap<string, ReleaseLock>): E {
  return new Proxy(executor, {
    get(target, property, receiver) {
      if (property === 'lock') {
        return (request: LockRequest) => {
          const lock = held.get(request.component)
          return lock ? Promise.resolve(borrowed(lock)) : target.lock(request)
        }
      }
      const value: unknown = Reflect.get(target, property, receiver)
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value
    },
  })
}

const borrowed = (lock: ReleaseLock): ReleaseLock => ({
  get name() {
    return lock.name
  },
  get lost() {
    return lock.lost
  },
  assertHeld: () => lock.assertHeld(),
  verify: () => lock.verify(),
  release: async () => undefined,
})

/** Takes every lock at once; if any is refused, gives back the ones taken and throws that refusal (73 naming the holder). */
export async function takeLocks(requests: ReadonlyArray<{ executor: AnyExecutor; region: string; request: LockRequest }>): Promise<Map<string, Map<string, ReleaseLock>>> {
  const settled = await Promise.allSettled(requests.map(({ executor, request }) => executor.lock(request)))
  const taken = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []))
  const refused = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected')
  if (refused) {
    await Promise.allSettled(taken.map((lock) => lock.release()))
    throw refused.reason
  }
  const byRegion = new Map<string, Map<string, ReleaseLock>>()
  requests.forEach(({ region, request }, i) => {
    const locks = byRegion.get(region) ?? new Map<string, ReleaseLock>()
    locks.set(request.component, (settled[i] as PromiseFulfilledResult<ReleaseLock>).value)
    byRegion.set(region, locks)
  })
  return byRegion
}
