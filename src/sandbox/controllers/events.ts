// core/v1 Events, recorded like client-go's event recorder: one Event object per
// (object, type, reason, message, source), with count and lastTimestamp bumped on repeats, so
// `kubectl describe` and `kubectl get events` read as they do on a cluster.
import { formatTime } from '../clock.js'
import type { KubeObject, Store } from '../types.js'
import type { CoreEvent } from './api.js'
import { R } from './api.js'
import { NodeName } from './pod-sim.js'

export type EventType = 'Normal' | 'Warning'

export interface EventRecorder {
  event(object: KubeObject, type: EventType, reason: string, message: string): void
}

/** The Event a recorder writes first for this occurrence (pure; the recorder adds aggregation). */
export function newEvent(object: KubeObject, type: EventType, reason: string, message: string, component: string, now: number, uniquifier: number): CoreEvent {
  const time = formatTime(now)
  // client-go names events `<object>.<unix nanos in hex>`.
  const nanos = BigInt(Math.floor(now)) * 1_000_000n + BigInt(uniquifier % 1_000_000)
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: `${object.metadata.name}.${nanos.toString(16)}`, namespace: object.metadata.namespace ?? 'default' },
    involvedObject: {
      kind: object.kind,
      namespace: object.metadata.namespace,
      name: object.metadata.name,
      uid: object.metadata.uid,
      apiVersion: object.apiVersion,
      resourceVersion: object.metadata.resourceVersion,
    },
    reason,
    message,
    source: component === 'kubelet' ? { component, host: NodeName } : { component },
    firstTimestamp: time,
    lastTimestamp: time,
    count: 1,
    type,
    eventTime: null,
    reportingComponent: component,
    reportingInstance: component === 'kubelet' ? NodeName : '',
  }
}

export class StoreEventRecorder {
  private readonly recent = new Map<string, { namespace: string; name: string }>()
  private counter = 0

  constructor(
    private readonly store: Store,
    private readonly now: () => number,
    private readonly log: (message: string, error?: unknown) => void,
  ) {}

  /** A recorder that signs its events as `component` (`deployment-controller`, `kubelet`, …). */
  forComponent(component: string): EventRecorder {
    return { event: (object, type, reason, message) => this.record(component, object, type, reason, message) }
  }

  private record(component: string, object: KubeObject, type: EventType, reason: string, message: string): void {
    const key = [object.metadata.uid, type, reason, message, component].join('\u0000')
    try {
      const seen = this.recent.get(key)
      const existing = seen && (this.store.get(R.events, seen.namespace, seen.name) as CoreEvent | undefined)
      if (existing) {
        this.store.update(R.events, { ...existing, count: (existing.count ?? 1) + 1, lastTimestamp: formatTime(this.now()) } as CoreEvent)
        return
      }
      const event = newEvent(object, type, reason, message, component, this.now(), this.counter++)
      const created = this.store.create(R.events, event)
      this.recent.set(key, { namespace: created.metadata.namespace ?? 'default', name: created.metadata.name })
      // The store expires events after an hour (the apiserver's --event-ttl); forget ours as well.
      if (this.recent.size > 5000) this.recent.clear()
    } catch (error) {
      // Events are best effort, as in client-go: losing one never fails a sync.
      this.log(`events: could not record ${reason} for ${object.kind} ${object.metadata.name}`, error)
    }
  }
}
