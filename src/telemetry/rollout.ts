// Spans for a rollout (deploy or rollback) from the engine's own event stream, so the engine needs no
// tracing code: per component and region a span, under it a span per phase (lock, patch, gates, rollback)
// opened by the event that starts it and closed by the next phase's, and, once the result is known, a span
// per gate with its verdict and the item's images, revisions and outcome as attributes.
import type { EventSink, RolloutEvent } from '../rollout/deploy.js'
import type { Attributes, SpanHandle } from './index.js'

/** Event kinds that start a phase, and the phase's span name. */
const PHASE_OF: Partial<Record<RolloutEvent['kind'], string>> = { lock: 'lock', patch: 'patch', wait: 'gates', rollback: 'rollback' }
/** Event kinds that end whatever phase is open (the item's outcome so far). */
const SETTLING: ReadonlySet<RolloutEvent['kind']> = new Set(['passed', 'failed', 'rolled-back', 'rollback-failed', 'paused'])

interface ItemTrace {
  span: SpanHandle
  phase?: { name: string; span: SpanHandle }
  gatesStart?: number
  gatesEnd?: number
  lastEventAt: number
}

export interface TracedItem {
  region: string
  component: string
  attributes: Attributes
  gates?: ReadonlyArray<{ gate: string; status: string; reason: string }>
  error?: string
}

export interface RolloutTrace {
  /** Pass events through to `sink` while recording them. */
  onEvent: EventSink
  /** With the result: item attributes, gate spans, and every span ended. */
  finish(items: readonly TracedItem[]): void
}

export function traceRollout(parent: SpanHandle, operation: 'deploy' | 'rollback', sink: EventSink, now: () => number = Date.now): RolloutTrace {
  const items = new Map<string, ItemTrace>()
  const keyOf = (region: string, component: string) => `${region}/${component}`
  const itemFor = (event: RolloutEvent, at: number): ItemTrace => {
    const key = keyOf(event.region, event.component)
    let item = items.get(key)
    if (!item) {
      item = { span: parent.child(`${operation} ${event.component}`, { 'mkt.component': event.component, 'mkt.region': event.region }, at), lastEventAt: at }
      items.set(key, item)
    }
    return item
  }
  const closePhase = (item: ItemTrace, at: number) => {
    if (!item.phase) return
    if (item.phase.name === 'gates') item.gatesEnd = at
    item.phase.span.end({ endTime: at })
    item.phase = undefined
  }

  const onEvent: EventSink = (event) => {
    const at = now()
    const item = itemFor(event, at)
    item.lastEventAt = at
    const phase = PHASE_OF[event.kind]
    if (phase !== undefined && item.phase?.name !== phase) {
      closePhase(item, at)
      item.phase = { name: phase, span: item.span.child(phase, { 'mkt.component': event.component, 'mkt.region': event.region }, at) }
      if (phase === 'gates') item.gatesStart ??= at
    }
    if (SETTLING.has(event.kind)) closePhase(item, at)
    ;(item.phase?.span ?? item.span).addEvent(event.kind, { message: event.message })
    sink(event)
  }

  const finish = (results: readonly TracedItem[]) => {
    for (const result of results) {
      const at = now()
      const item = items.get(keyOf(result.region, result.component)) ?? { span: parent.child(`${operation} ${result.component}`, { 'mkt.component': result.component, 'mkt.region': result.region }, at), lastEventAt: at }
      closePhase(item, item.lastEventAt)
      item.span.setAttributes(result.attributes)
      for (const gate of result.gates ?? []) {
        const start = item.gatesStart ?? item.lastEventAt
        const span = item.span.child(`gate ${gate.gate}`, { 'mkt.component': result.component, 'mkt.region': result.region, 'mkt.gate': gate.gate, 'mkt.verdict': gate.status, 'mkt.reason': gate.reason }, start)
        span.end({ ...(gate.status === 'failed' ? { error: gate.reason } : {}), endTime: item.gatesEnd ?? item.lastEventAt })
      }
      item.span.end({ ...(result.error ? { error: result.error } : {}), endTime: item.lastEventAt })
    }
  }
  return { onEvent, finish }
}
