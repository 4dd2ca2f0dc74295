// The progress pacer: a bake's countdown said at start, every 30 s and at the end; a wait restated every 30 s.
import { describe, expect, it } from 'vitest'
import { BAKE_REPORT_MS, formatEventLine, HEARTBEAT_MS, ProgressPacer } from '../../src/cli/progress.js'
import type { RolloutEvent } from '../../src/rollout/deploy.js'

const event = (kind: RolloutEvent['kind'], message: string): RolloutEvent => ({ region: 'weu', component: 'catalog', kind, message })

describe('ProgressPacer', () => {
  it('a 2-minute bake ticking every second is said 5 times (start, each 30 s), then its end', () => {
    const pacer = new ProgressPacer()
    const shown: number[] = []
    for (let second = 0; second < 120; second++) {
      if (pacer.accept(event('wait', `bake: baking: healthy for ${second}s of 2m`), second * 1000)) shown.push(second)
    }
    expect(shown).toEqual([0, 30, 60, 90])
    expect(pacer.accept(event('passed', 'gates held for 2m'), 120_000)).toBe(true)
    expect(BAKE_REPORT_MS).toBe(30_000)
  })

  it('restates a wait that has been quiet for 30 s, with how long it has waited, until it ends', () => {
    const pacer = new ProgressPacer()
    pacer.accept(event('patch', 'image 1 -> 2'), 0)
    pacer.accept(event('wait', 'waiting for 1 of 1 new pods to be ready'), 1_000)
    expect(pacer.due(20_000)).toEqual([])
    expect(pacer.due(31_000)).toEqual([{ event: event('wait', 'waiting for 1 of 1 new pods to be ready'), waitedMs: 30_000 }])
    expect(pacer.due(40_000)).toEqual([])
    expect(pacer.due(61_000).map((d) => d.waitedMs)).toEqual([60_000])
    expect(pacer.waitedMs('weu', 'catalog', 61_000)).toBe(60_000)
    pacer.accept(event('failed', 'timed out'), 62_000)
    expect(pacer.due(200_000)).toEqual([])
    expect(HEARTBEAT_MS).toBe(30_000)
  })

  it('a new wait message is shown at once and resets the quiet time, not the waiting time', () => {
    const pacer = new ProgressPacer()
    expect(pacer.accept(event('wait', 'waiting for 0 of 2'), 0)).toBe(true)
    expect(pacer.accept(event('wait', 'waiting for 1 of 2'), 25_000)).toBe(true)
    expect(pacer.due(50_000)).toEqual([])
    expect(pacer.due(55_000)).toEqual([{ event: event('wait', 'waiting for 1 of 2'), waitedMs: 55_000 }])
  })
})

describe('formatEventLine', () => {
  it('does not repeat the kind when the message already starts with it', () => {
    const line = formatEventLine(event('undo', 'undo: mkt rollback catalog --env local'), false, new Date('2026-01-01T10:00:00Z'))
    expect(line).toBe('10:00:00 catalog undo: mkt rollback catalog --env local')
  })
})
