// Progress of long operations on stderr, from the events the engine emits: a live listr2 task list (one task
// per component and region, its line saying which gate is being waited on and why) on an interactive
// terminal, one timestamped line per event everywhere else (CI logs, pipes), or JSON lines with
// --progress=jsonl (the one progress that goes with --json; stdout stays the envelope's). Nothing under
// --json or --quiet otherwise.
//
// It never goes silent: a wait is restated with how long it has lasted (live: on its line once it passes
// 10 s; lines and JSON lines: every 30 s), since CI systems kill quiet jobs and people assume a hang. And
// it does not chatter: a bake's countdown is said when it starts, every 30 s, and when it ends.
import { Flags } from '@oclif/core'
import { formatDuration } from '../duration.js'
import type { EventSink, RolloutEvent } from '../rollout/deploy.js'
import type { Output } from './output.js'
import { isCI } from './term.js'

export interface ProgressItem {
  region: string
  component: string
  title: string
}

export interface Progress {
  onEvent: EventSink
  run<T>(work: () => Promise<T>): Promise<T>
}

export const PROGRESS_MODES = ['auto', 'live', 'lines', 'jsonl', 'none'] as const
export type ProgressMode = (typeof PROGRESS_MODES)[number]

export const progressFlag = Flags.string({
  summary: 'How to show progress on stderr: auto (live list on a terminal, lines otherwise, none with --json), lines, jsonl (JSON lines, also with --json), none.',
  options: [...PROGRESS_MODES],
  default: 'auto',
  env: 'MKT_PROGRESS',
})

/** A wait restated in lines/JSON lines after this long without a line for it. */
export const HEARTBEAT_MS = 30_000
/** A live line shows how long it has waited once the wait passes this. */
export const LIVE_WAIT_SHOWN_AFTER_MS = 10_000
/** Bake countdowns: said at the start, then at most this often, then at the end. */
export const BAKE_REPORT_MS = 30_000

const TERMINAL: ReadonlySet<RolloutEvent['kind']> = new Set(['passed', 'failed', 'rolled-back', 'rollback-failed', 'paused'])

export function timestamp(date = new Date()): string {
  return date.toISOString().slice(11, 19)
}

/** The message without a repeat of its kind (`undo: undo: mkt rollback …` reads `undo: mkt rollback …`). */
const messageOf = (event: RolloutEvent) => (event.message.startsWith(`${event.kind}: `) ? event.message.slice(event.kind.length + 2) : event.message)

export function formatEventLine(event: RolloutEvent, multiRegion: boolean, date = new Date()): string {
  const where = multiRegion ? `${event.region}/${event.component}` : event.component
  return `${timestamp(date)} ${where} ${event.kind}: ${messageOf(event)}`
}

/** A bake countdown: the gates' reason `bake: baking: healthy for 6s of 10s` (the gate's name first, as every gate reason). */
const isBake = (event: RolloutEvent) => event.kind === 'wait' && /^(bake: )?baking:/.test(event.message)

interface Tracked {
  last: RolloutEvent
  /** When the current wait began (the first of a run of 'wait' events). */
  waitingSince?: number
  /** When a line was last written for this item. */
  saidAt: number
  /** When the current bake's countdown was last said. */
  bakeSaidAt?: number
  done: boolean
}

/**
 * The policy, apart from any renderer: which events to show now, and which waits to restate. Pure over the
 * clock it is given, so it is tested without waiting.
 */
export class ProgressPacer {
  private readonly items = new Map<string, Tracked>()

  constructor(private readonly heartbeatMs = HEARTBEAT_MS, private readonly bakeReportMs = BAKE_REPORT_MS) {}

  /** Whether to show this event now (false: a bake tick inside its 30 s). */
  accept(event: RolloutEvent, now: number): boolean {
    const key = `${event.region}\u0000${event.component}`
    const tracked = this.items.get(key)
    const waiting = event.kind === 'wait'
    const waitingSince = waiting ? (tracked?.last.kind === 'wait' ? tracked.waitingSince : now) : undefined
    const next: Tracked = { last: event, saidAt: tracked?.saidAt ?? now, done: TERMINAL.has(event.kind), ...(waitingSince === undefined ? {} : { waitingSince }) }
    let show = true
    if (isBake(event)) {
      const bakeSaidAt = tracked && isBake(tracked.last) ? tracked.bakeSaidAt : undefined
      show = bakeSaidAt === undefined || now - bakeSaidAt >= this.bakeReportMs
      next.bakeSaidAt = show ? now : bakeSaidAt
    }
    if (show) next.saidAt = now
    this.items.set(key, next)
    return show
  }

  /** Waits that have gone `heartbeatMs` without a line: restate them (and count that as a line). */
  due(now: number): Array<{ event: RolloutEvent; waitedMs: number }> {
    const due: Array<{ event: RolloutEvent; waitedMs: number }> = []
    for (const tracked of this.items.values()) {
      if (tracked.done || tracked.waitingSince === undefined || now - tracked.saidAt < this.heartbeatMs) continue
      tracked.saidAt = now
      if (isBake(tracked.last)) tracked.bakeSaidAt = now
      due.push({ event: tracked.last, waitedMs: now - tracked.waitingSince })
    }
    return due
  }

  /** How long the item has been waiting, if it is. */
  waitedMs(region: string, component: string, now: number): number | undefined {
    const tracked = this.items.get(`${region}\u0000${component}`)
    return tracked && !tracked.done && tracked.waitingSince !== undefined ? now - tracked.waitingSince : undefined
  }
}

export function modeFor(out: Output, requested: string | undefined, hasItems: boolean): Exclude<ProgressMode, 'auto'> {
  const mode = (requested ?? 'auto') as ProgressMode
  if (mode === 'jsonl') return 'jsonl'
  if (mode === 'none' || out.options.json || out.options.quiet) return 'none'
  if (mode === 'lines') return 'lines'
  // A live task list needs its tasks up front; a caller that cannot name them gets a line per event.
  const live = hasItems && process.stderr.isTTY === true && !isCI() && process.env.TERM !== 'dumb'
  if (mode === 'live') return hasItems ? 'live' : 'lines'
  return live ? 'live' : 'lines'
}

export async function createProgress(out: Output, items: ProgressItem[], options: { multiRegion: boolean; mode?: string }): Promise<Progress> {
  const mode = modeFor(out, options.mode, items.length > 0)
  if (mode === 'live') return listrProgress(items, options)
  if (mode === 'none') return { onEvent: () => undefined, run: (work) => work() }
  const pacer = new ProgressPacer()
  const write =
    mode === 'jsonl'
      ? (event: RolloutEvent, waitedMs?: number) =>
          process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), region: event.region, component: event.component, kind: waitedMs === undefined ? event.kind : 'heartbeat', message: messageOf(event), ...(waitedMs === undefined ? {} : { waitingMs: waitedMs }) })}\n`)
      : (event: RolloutEvent, waitedMs?: number) =>
          process.stderr.write(
            waitedMs === undefined
              ? `${formatEventLine(event, options.multiRegion)}\n`
              : `${timestamp()} ${options.multiRegion ? `${event.region}/` : ''}${event.component} still waiting (${formatDuration(Math.round(waitedMs / 1000) * 1000)}): ${messageOf(event)}\n`,
          )
  return {
    onEvent: (event) => {
      if (pacer.accept(event, Date.now())) write(event)
    },
    run: async (work) => {
      const timer = setInterval(() => {
        for (const { event, waitedMs } of pacer.due(Date.now())) write(event, waitedMs)
      }, 1_000)
      timer.unref()
      try {
        return await work()
      } finally {
        clearInterval(timer)
      }
    },
  }
}

interface LiveTask {
  output: string
}

interface LiveEntry {
  /** The latest line, kept until listr2 starts the task and gives us its handle. */
  last: string
  task?: LiveTask
  finish?: (failed: boolean) => void
  result?: { failed: boolean }
}

async function listrProgress(items: ProgressItem[], options: { multiRegion: boolean }): Promise<Progress> {
  const { Listr, ListrLogger, ProcessOutput } = await import('listr2')
  const keyOf = (region: string, component: string) => `${region}\u0000${component}`
  const entries = new Map<string, LiveEntry>(items.map((item) => [keyOf(item.region, item.component), { last: 'waiting for its wave' }]))
  const settle = (entry: LiveEntry, failed: boolean) => {
    entry.result ??= { failed }
    entry.finish?.(entry.result.failed)
  }
  const list = new Listr(
    items.map((item) => ({
      title: options.multiRegion ? `${item.region}/${item.title}` : item.title,
      task: (_ctx: unknown, task: LiveTask) =>
        new Promise<void>((resolve, reject) => {
          const entry = entries.get(keyOf(item.region, item.component))!
          entry.task = task
          task.output = entry.last
          entry.finish = (failed) => (failed ? reject(new Error(entry.last)) : resolve())
          if (entry.result) settle(entry, entry.result.failed)
        }),
    })),
    {
      concurrent: true,
      exitOnError: false,
      registerSignalListeners: false,
      rendererOptions: { collapseErrors: false, logger: new ListrLogger({ processOutput: new ProcessOutput(process.stderr, process.stderr) }) },
    },
  )
  const pacer = new ProgressPacer()
  const onEvent: EventSink = (event) => {
    const entry = entries.get(keyOf(event.region, event.component))
    if (!entry) return
    pacer.accept(event, Date.now())
    entry.last = `${event.kind}: ${messageOf(event)}`
    if (entry.task) entry.task.output = entry.last
    if (TERMINAL.has(event.kind)) settle(entry, event.kind !== 'passed' && event.kind !== 'rolled-back')
  }
  // Every second, a wait past 10 s shows how long it has lasted on its own line of the list.
  const showWaits = () => {
    const now = Date.now()
    for (const item of items) {
      const entry = entries.get(keyOf(item.region, item.component))!
      const waited = pacer.waitedMs(item.region, item.component, now)
      if (entry.task && waited !== undefined && waited >= LIVE_WAIT_SHOWN_AFTER_MS) entry.task.output = `${entry.last} (waiting ${formatDuration(Math.floor(waited / 1000) * 1000)})`
    }
  }
  return {
    onEvent,
    run: async (work) => {
      const rendering = list.run().catch(() => undefined)
      const timer = setInterval(showWaits, 1_000)
      timer.unref()
      try {
        return await work()
      } finally {
        clearInterval(timer)
        for (const entry of entries.values()) settle(entry, false)
        await rendering
      }
    },
  }
}
