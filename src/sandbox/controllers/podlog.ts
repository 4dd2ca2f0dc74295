// Synthetic container logs, served by the API's pods/{name}/log. Derived from the pod's status
// alone (when its containers started, exited, restarted), so every replica of the API and every
// restart of the sandbox tells the same story: ASP.NET Core start-up lines for services, a few
// progress lines and the outcome for Job pods, the unhandled exception of a crashed run.
import { formatMicroTime, parseTime } from '../clock.js'
import type { ContainerStatus, Pod } from './api.js'
import { controllerOf } from './api.js'
import { getPodCondition } from './pod-util.js'

export interface PodLogOptions {
  container?: string
  /** The previous (terminated) run of a restarted container. */
  previous?: boolean
  /** Prefix each line with its RFC 3339 time, like `kubectl logs --timestamps`. */
  timestamps?: boolean
  tailLines?: number
}

/** Why a log cannot be served; the API answers 400 BadRequest with this message, as a real cluster does. */
export class PodLogError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'PodLogError'
  }
}

interface LogLine {
  at: number
  text: string
}

function containerNames(pod: Pod): string[] {
  return (pod.spec.containers ?? []).map((c) => c.name)
}

function aspNetStartup(at: number, port: number): LogLine[] {
  return [
    { at, text: 'info: Microsoft.Hosting.Lifetime[14]' },
    { at, text: `      Now listening on: http://[::]:${port}` },
    { at, text: 'info: Microsoft.Hosting.Lifetime[0]' },
    { at, text: '      Application started. Press Ctrl+C to shut down.' },
    { at, text: 'info: Microsoft.Hosting.Lifetime[0]' },
    { at, text: '      Hosting environment: Production' },
    { at, text: 'info: Microsoft.Hosting.Lifetime[0]' },
    { at, text: '      Content root path: /app' },
  ]
}

function crash(at: number): LogLine[] {
  return [
    { at, text: 'crit: Microsoft.AspNetCore.Hosting.Diagnostics[6]' },
    { at, text: '      Application startup exception' },
    { at, text: '      System.InvalidOperationException: Simulated start-up failure (sandbox crashloop fault).' },
    { at, text: '         at Program.<Main>$(String[] args) in /src/Program.cs:line 42' },
    { at, text: "Unhandled exception. System.InvalidOperationException: Simulated start-up failure (sandbox crashloop fault)." },
  ]
}

function jobRun(pod: Pod, startedAt: number, finished: { at: number; exitCode: number } | undefined): LogLine[] {
  const job = controllerOf(pod.metadata)?.name ?? pod.metadata.labels?.['job-name'] ?? pod.metadata.name
  // Append-only, like a real container's output: the finished log is the running log plus the outcome,
  // so a follower (`kubectl logs -f`) sees the outcome arrive as new lines.
  const lines: LogLine[] = [
    { at: startedAt, text: 'info: Sandbox.Job[0]' },
    { at: startedAt, text: `      Starting ${job} (pod ${pod.metadata.name})` },
    { at: startedAt, text: 'info: Sandbox.Job[1]' },
    { at: startedAt, text: '      Working…' },
  ]
  if (!finished) return lines
  if (finished.exitCode === 0) {
    return [...lines, { at: finished.at, text: 'info: Sandbox.Job[2]' }, { at: finished.at, text: `      ${job} completed successfully` }]
  }
  return [
    ...lines,
    { at: finished.at, text: 'fail: Sandbox.Job[3]' },
    { at: finished.at, text: `      ${job} failed` },
    { at: finished.at, text: 'Unhandled exception. System.InvalidOperationException: Simulated job failure (sandbox).' },
  ]
}

function firstPort(pod: Pod, container: string): number {
  return pod.spec.containers?.find((c) => c.name === container)?.ports?.[0]?.containerPort ?? 8080
}

/** The log lines of one run of a container. */
function runLines(pod: Pod, container: string, run: { startedAt: number; exit?: { at: number; exitCode: number } }, now: number): LogLine[] {
  const isJob = controllerOf(pod.metadata)?.kind === 'Job' || (pod.spec.restartPolicy ?? 'Always') !== 'Always'
  if (isJob) return jobRun(pod, run.startedAt, run.exit)
  if (run.exit && run.exit.exitCode !== 0) return crash(run.exit.at)
  const lines = aspNetStartup(run.startedAt, firstPort(pod, container))
  const ready = getPodCondition(pod, 'Ready')
  if (!run.exit && ready?.status === 'False' && pod.status?.phase === 'Running') {
    const at = Math.max(run.startedAt, Math.min(now, parseTime(ready.lastTransitionTime) ?? run.startedAt))
    lines.push(
      { at, text: 'fail: Microsoft.Extensions.Diagnostics.HealthChecks.DefaultHealthCheckService[103]' },
      { at, text: '      Health check failed: the readiness checks report Unhealthy' },
    )
  }
  return lines
}

function status(pod: Pod, container: string): ContainerStatus | undefined {
  return pod.status?.containerStatuses?.find((s) => s.name === container)
}

/**
 * The log of a container of a pod (`GET …/pods/{name}/log`). Throws PodLogError with the API's
 * message when there is nothing to show (still waiting to start; no previous run).
 */
export function podLog(pod: Pod, options: PodLogOptions = {}, now: number = Date.now()): string {
  const names = containerNames(pod)
  const container = options.container ?? names[0]
  if (options.container === undefined && names.length > 1) {
    throw new PodLogError(`a container name must be specified for pod ${pod.metadata.name}, choose one of: [${names.join(' ')}]`)
  }
  if (container === undefined || !names.includes(container)) {
    throw new PodLogError(`container ${container ?? '""'} is not valid for pod ${pod.metadata.name}`)
  }
  const s = status(pod, container)
  let lines: LogLine[]
  if (options.previous) {
    const last = s?.lastState?.terminated
    if (!last) throw new PodLogError(`previous terminated container "${container}" in pod "${pod.metadata.name}" not found`)
    lines = runLines(pod, container, { startedAt: parseTime(last.startedAt) ?? 0, exit: { at: parseTime(last.finishedAt) ?? 0, exitCode: last.exitCode } }, now)
  } else if (s?.state?.running) {
    lines = runLines(pod, container, { startedAt: parseTime(s.state.running.startedAt) ?? now }, now)
  } else if (s?.state?.terminated) {
    const t = s.state.terminated
    lines = runLines(pod, container, { startedAt: parseTime(t.startedAt) ?? 0, exit: { at: parseTime(t.finishedAt) ?? 0, exitCode: t.exitCode } }, now)
  } else if (s?.state?.waiting?.reason === 'CrashLoopBackOff' && s.lastState?.terminated) {
    // While backing off, the current log is the crashed run's (as `kubectl logs` shows on a cluster).
    const t = s.lastState.terminated
    lines = runLines(pod, container, { startedAt: parseTime(t.startedAt) ?? 0, exit: { at: parseTime(t.finishedAt) ?? 0, exitCode: t.exitCode } }, now)
  } else {
    const reason = s?.state?.waiting?.reason ?? 'ContainerCreating'
    throw new PodLogError(`container "${container}" in pod "${pod.metadata.name}" is waiting to start: ${reason}`)
  }
  if (options.tailLines !== undefined) lines = options.tailLines <= 0 ? [] : lines.slice(-options.tailLines)
  return lines.map((line) => (options.timestamps ? `${formatMicroTime(line.at).replace(/(\.\d{6})Z$/, '$1000Z')} ${line.text}` : line.text)).join('\n') + (lines.length > 0 ? '\n' : '')
}
