// What the operator reads while mkt works, through the built CLI against a sandbox of its own: the sandbox
// start is announced with its directory, a long wait is never silent (heartbeat as JSON lines with --json),
// a lock whose holder died on this host is taken over at once, and a second Ctrl-C still gives the lock back.
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { binPath, cleanEnv, parseEnvelope, runMkt } from '../helpers/cli.js'

const dataDir = mkdtempSync(join(tmpdir(), 'mkt-ux-e2e-'))
const env = { MKT_SANDBOX_DIR: dataDir, MKT_SANDBOX_POD_START_DELAY_MS: '150' }
const mkt = (...args: string[]) => runMkt(args, { env, timeoutMs: 120_000 })

interface Running {
  child: ChildProcess
  stdout: () => string
  stderr: () => string
  /** Resolves with the first stderr JSON line matching `test`. */
  line: (test: (line: { kind: string; message: string; waitingMs?: number }) => boolean, timeoutMs: number) => Promise<{ kind: string; message: string; waitingMs?: number }>
  exit: Promise<number | null>
}

function start(args: string[]): Running {
  const child = spawn(process.execPath, [binPath, ...args], { env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout!.on('data', (d) => (stdout += d))
  child.stderr!.on('data', (d) => (stderr += d))
  const exit = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)))
  const line: Running['line'] = (test, timeoutMs) =>
    new Promise((resolve, reject) => {
      const deadline = setTimeout(() => reject(new Error(`no such progress line within ${timeoutMs} ms; stderr:\n${stderr}`)), timeoutMs)
      const look = () => {
        for (const text of stderr.split('\n')) {
          if (!text.startsWith('{')) continue
          const parsed = JSON.parse(text) as { kind: string; message: string; waitingMs?: number }
          if (test(parsed)) {
            clearTimeout(deadline)
            child.stderr!.off('data', look)
            resolve(parsed)
            return
          }
        }
      }
      child.stderr!.on('data', look)
      look()
    })
  return { child, stdout: () => stdout, stderr: () => stderr, line, exit }
}

const lockOf = async (component: string) => (parseEnvelope(await mkt('lock', 'status', component, '--json')).result as { locks: Array<{ holder: string | null }> }).locks

beforeAll(async () => {
  // The first command against `local` starts the sandbox itself: it must say so, and where.
  const first = await mkt('components', 'list')
  expect(first.exitCode).toBe(0)
  const health = await mkt('health', '-c', 'pricing')
  expect(health.stderr).toContain(`starting the sandbox in ${dataDir}`)
  // Releases of catalog tagged 9.9.9 never become ready: a wait that only a timeout ends.
  expect((await mkt('sandbox', 'fault', 'set', 'catalog', '--not-ready', '--image-tag', '9.9.9')).exitCode).toBe(0)
}, 180_000)

afterAll(async () => {
  await mkt('sandbox', 'stop')
})

describe('a long wait is never silent', () => {
  it('--json --progress=jsonl: progress as JSON lines on stderr, a heartbeat after 30 s of waiting, stdout only the envelope', { timeout: 180_000 }, async () => {
    const run = start(['deploy', 'service', 'catalog', '--image', '9.9.9', '--json', '--progress', 'jsonl'])
    const heartbeat = await run.line((l) => l.kind === 'heartbeat', 90_000)
    expect(heartbeat.waitingMs).toBeGreaterThanOrEqual(30_000)
    expect(heartbeat.message).toMatch(/ready|wait/i)
    run.child.kill('SIGINT')
    expect(await run.exit).toBe(130)
    const envelope = JSON.parse(run.stdout()) as { ok: boolean; error: { code: string } }
    expect(envelope.error.code).toBe('INTERRUPTED')
    // Every stderr line is a JSON progress line (no human text mixed in).
    for (const text of run.stderr().trim().split('\n')) expect(() => JSON.parse(text), text).not.toThrow()
    expect(await lockOf('catalog')).toEqual([])
  })
})

describe('a bake is said, not counted out', () => {
  it('a default deploy (10 s bake) of two components says each bake at its start and its end, not every second', { timeout: 180_000 }, async () => {
    const run = await mkt('deploy', 'service', 'pricing', 'license', '--image', '3.1.0', '--yes', '--progress', 'lines')
    expect(run.exitCode, run.stderr).toBe(0)
    for (const component of ['pricing-service', 'license-service']) {
      const bakeLines = run.stderr.split('\n').filter((l) => l.includes(` ${component} `) && l.includes('baking:'))
      expect(bakeLines.length, run.stderr).toBeGreaterThanOrEqual(1)
      expect(bakeLines.length, run.stderr).toBeLessThanOrEqual(2) // start, and at most one 30 s report
      expect(run.stderr).toMatch(new RegExp(`${component} passed: .*all gates passed`))
    }
  })
})

describe('locks for humans', () => {
  it('a holder killed with -9 on this host is taken over at once, and the take-over is said', { timeout: 180_000 }, async () => {
    const run = start(['deploy', 'service', 'catalog', '--image', '9.9.9', '--json', '--progress', 'jsonl'])
    await run.line((l) => l.kind === 'lock', 60_000)
    run.child.kill('SIGKILL')
    await run.exit
    expect((await lockOf('catalog')).length).toBe(1)
    const rollback = await mkt('rollback', 'catalog', '--json')
    expect(rollback.exitCode, rollback.stdout).not.toBe(73)
    expect(parseEnvelope(rollback).warnings.join('\n')).toMatch(/took over the lock .* that process is no longer running on this host/)
    expect(await lockOf('catalog')).toEqual([])
  })

  it('a second Ctrl-C exits at once and still releases the lock', { timeout: 180_000 }, async () => {
    const run = start(['deploy', 'service', 'catalog', '--image', '9.9.9', '--progress', 'jsonl'])
    await run.line((l) => l.kind === 'wait', 60_000)
    run.child.kill('SIGINT')
    // The second Ctrl-C once the first is being handled (two signals pending at once are one signal to the OS).
    await run.line((l) => l.kind === 'rollback', 60_000)
    const second = Date.now()
    run.child.kill('SIGINT')
    expect(await run.exit).toBe(130)
    expect(run.stderr()).toContain('releasing locks')
    expect(run.stderr()).toContain('interrupted twice by SIGINT')
    // About a second for the releases, plus process exit on a loaded machine: far below the 30 s lease.
    expect(Date.now() - second).toBeLessThan(15_000)
    expect(await lockOf('catalog')).toEqual([])
    // Leave catalog as it was for anyone after us.
    await mkt('rollback', 'catalog', '--force-unlock', '--reason', 'test clean-up')
  })

  it('a lock held by a live process names the holder and both ways out, rollback --force-unlock included', { timeout: 180_000 }, async () => {
    const run = start(['deploy', 'service', 'catalog', '--image', '9.9.9', '--progress', 'jsonl'])
    await run.line((l) => l.kind === 'wait', 60_000)
    const second = await mkt('deploy', 'service', 'catalog', '--image', '9.9.8')
    expect(second.exitCode).toBe(73)
    expect(second.stderr).toMatch(/mkt rollback marketplace-catalog-service --env local --force-unlock --reason/)
    run.child.kill('SIGINT')
    expect(await run.exit).toBe(130)
  })
})

describe('output that explains', () => {
  it('deploy --plan lists the gates and the budgets it would use', async () => {
    const plan = await mkt('deploy', 'service', 'catalog', '--image', '7.7.7', '--plan', '--bake', '2m')
    expect(plan.exitCode).toBe(0)
    expect(plan.stdout).toMatch(/^Gates, checked until the rollout completes:$/m)
    expect(plan.stdout).toMatch(/^ {2}readiness {2}\/health\/ready of every new pod/m)
    expect(plan.stdout).toMatch(/^ {2}bake {7}all of the above held for 2m without a break$/m)
    expect(plan.stdout).toContain('Budgets: 10m per component rollout (a progress deadline: that long without progress fails it; at most 3 × that overall); a failed gate rolls back automatically, within 5m.')
  })

  it('history shows why a revision was rolled back and how rollbacks renumbered revisions', async () => {
    const run = await mkt('history', 'catalog')
    expect(run.exitCode).toBe(0)
    expect(run.stdout).toMatch(/^\s*\*?\d+ \(was [\d, ]+\)/m)
    expect(run.stdout).toMatch(/rolled-back: \S+/)
    expect(run.stderr).toContain('"was N" lists the numbers it had before')
  })
})
