// Progress of long operations on stderr: a live listr2 task list (one task per component and region, its
// line saying which gate is being waited on and why) on an interactive terminal, and one timestamped
// line per event everywhere else (CI logs, pipes). Nothing under --json or --quiet.
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

const TERMINAL: ReadonlySet<RolloutEvent['kind']> = new Set(['passed', 'failed', 'rolled-back', 'rollback-failed', 'paused'])

export function timestamp(date = new Date()): string {
  return date.toISOString().slice(11, 19)
}

export function formatEventLine(event: RolloutEvent, multiRegion: boolean, date = new Date()): string {
  const where = multiRegion ? `${event.region}/${event.component}` : event.component
  return `${timestamp(date)} ${where} ${event.kind}: ${event.message}`
}

export async function createProgress(out: Output, items: ProgressItem[], options: { multiRegion: boolean }): Promise<Progress> {
  const silent = out.options.json || out.options.quiet
  // A live task list needs its tasks up front; a caller that cannot name them gets a line per event.
  const live = !silent && items.length > 0 && process.stderr.isTTY === true && !isCI() && process.env.TERM !== 'dumb'
  if (!live) {
    return {
      onEvent: (event) => {
        if (!silent) process.stderr.write(`${formatEventLine(event, options.multiRegion)}\n`)
      },
      run: (work) => work(),
    }
  }
  return listrProgress(items, options)
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
  const onEvent: EventSink = (event) => {
    const entry = entries.get(keyOf(event.region, event.component))
    if (!entry) return
    entry.last = `${event.kind}: ${event.message}`
    if (entry.task) entry.task.output = entry.last
    if (TERMINAL.has(event.kind)) settle(entry, event.kind !== 'passed' && event.kind !== 'rolled-back')
  }
  return {
    onEvent,
    run: async (work) => {
      const rendering = list.run().catch(() => undefined)
      try {
        return await work()
      } finally {
        for (const entry of entries.values()) settle(entry, false)
        await rendering
      }
    },
  }
}
