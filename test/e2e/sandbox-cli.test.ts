// `mkt sandbox …` through the built CLI: lifecycle, status, reset, faults, and kubectl using its kubeconfig.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { parseEnvelope, runMkt, validateEnvelope } from '../helpers/cli.js'
import { kubectlPath } from '../helpers/kubectl.js'

const dataDir = mkdtempSync(join(tmpdir(), 'mkt-sandbox-cli-'))
const env = { MKT_SANDBOX_DIR: dataDir, MKT_SANDBOX_POD_START_DELAY_MS: '100' }
const mkt = (...args: string[]) => runMkt(args, { env })

interface Status {
  running: boolean
  pid: number | null
  kubeconfig: string
  objects: Record<string, number>
  endpoints: { kubernetes: string } | null
  alreadyRunning?: boolean
}

afterAll(async () => {
  await mkt('sandbox', 'stop')
})

describe('mkt sandbox', () => {
  it('status before the first start says it is not running (exit 0)', async () => {
    const run = await mkt('sandbox', 'status', '--json')
    expect(run.exitCode).toBe(0)
    const envelope = parseEnvelope(run)
    expect(validateEnvelope('sandbox status', envelope)).toEqual([])
    expect((envelope.result as Status).running).toBe(false)
  })

  it('start runs it in the background, seeded with the 16 components; a second start reuses it', async () => {
    const first = await mkt('sandbox', 'start', '--json')
    expect(first.exitCode).toBe(0)
    const envelope = parseEnvelope(first)
    expect(validateEnvelope('sandbox start', envelope)).toEqual([])
    const status = envelope.result as Status
    expect(status).toMatchObject({ running: true, alreadyRunning: false })
    expect(status.endpoints!.kubernetes).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/)
    expect(status.objects['deployments.apps']).toBe(16)
    expect(status.objects.services).toBe(11)
    // credentials are private to the user
    expect(statSync(status.kubeconfig).mode & 0o077).toBe(0)
    expect(statSync(dataDir).mode & 0o077).toBe(0)

    const second = parseEnvelope(await mkt('sandbox', 'start', '--json')).result as Status
    expect(second).toMatchObject({ running: true, alreadyRunning: true, pid: status.pid })
  })

  it('kubectl with the sandbox kubeconfig sees a healthy platform', async () => {
    const status = parseEnvelope(await mkt('sandbox', 'status', '--json')).result as Status
    const kubectl = await kubectlPath()
    const kc = (...args: string[]) =>
      execFileSync(kubectl, ['--kubeconfig', status.kubeconfig, '--cache-dir', join(dataDir, 'kubectl-cache'), ...args], { encoding: 'utf8' })
    kc('-n', 'marketplace', 'wait', '--for=condition=Available', 'deployment', '--all', '--timeout=60s')
    const table = kc('-n', 'marketplace', 'get', 'deployments')
    expect(table.split('\n')[0]).toMatch(/^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE$/)
    expect(table).toMatch(/marketplace-catalog-service\s+2\/2\s+2\s+2\s/)
  })

  it('fault set / list / clear round-trip, with usage errors for bad input', async () => {
    const set = await mkt('sandbox', 'fault', 'set', 'catalog', '--image-tag', '2.0.0', '--not-ready', '--json')
    expect(set.exitCode).toBe(0)
    const fault = (parseEnvelope(set).result as { fault: { id: string; component: string; kind: string; imageTag: string } }).fault
    expect(fault).toMatchObject({ component: 'marketplace-catalog-service', kind: 'not-ready', imageTag: '2.0.0' })

    const api = await mkt('sandbox', 'fault', 'api', '--path', '/apis/batch/v1/*', '--status', '503', '--retry-after', '1', '--json')
    expect(api.exitCode).toBe(0)

    const list = parseEnvelope(await mkt('sandbox', 'fault', 'list', '--json'))
    expect(validateEnvelope('sandbox fault list', list)).toEqual([])
    expect((list.result as { faults: Array<{ id: string }> }).faults.map((f) => f.id)).toContain(fault.id)

    expect((await mkt('sandbox', 'fault', 'set', 'catalog')).exitCode).toBe(64) // no behaviour
    expect((await mkt('sandbox', 'fault', 'set', 'catalog', '--crashloop', '--not-ready')).exitCode).toBe(64) // two
    expect((await mkt('sandbox', 'fault', 'set', 'catalgo', '--crashloop')).exitCode).toBe(64) // unknown component
    expect((await mkt('sandbox', 'fault', 'set', 'catalog', '--slow-ready', 'soon')).exitCode).toBe(64) // bad duration
    expect((await mkt('sandbox', 'fault', 'clear', 'no-such-fault')).exitCode).toBe(64)

    const cleared = await mkt('sandbox', 'fault', 'clear', fault.id, '--json')
    expect(cleared.exitCode).toBe(0)
    const all = await mkt('sandbox', 'fault', 'clear', '--json')
    expect((parseEnvelope(all).result as { deleted: number }).deleted).toBe(1)
    expect((parseEnvelope(await mkt('sandbox', 'fault', 'list', '--json')).result as { faults: unknown[] }).faults).toEqual([])
  })

  it('start right after a kill -9 mid-rollout recovers at once, every time (stale pid, lock and port files reclaimed)', async () => {
    for (let round = 0; round < 3; round++) {
      const status = parseEnvelope(await mkt('sandbox', 'status', '--json')).result as Status
      expect(status.running).toBe(true)
      // Writes in flight when it dies: a rollout of two components.
      const deploy = runMkt(['deploy', 'service', 'catalog', 'search', '--image', `4.${round}.0`, '--yes', '--bake', '0s'], { env })
      await new Promise((r) => setTimeout(r, 1500 + round * 700))
      process.kill(status.pid!, 'SIGKILL')
      const restarted = await mkt('sandbox', 'start', '--json')
      expect(restarted.exitCode, `round ${round}: ${restarted.stderr}`).toBe(0)
      expect((parseEnvelope(restarted).result as Status).pid).not.toBe(status.pid)
      const lost = await deploy
      expect([0, 69, 80, 81]).toContain(lost.exitCode) // the deploy lost its API: a documented exit, never a crash
      if (lost.exitCode === 81) {
        // Not "unhealthy on either revision": nobody knows, so it says what it left and how to finish the job.
        expect(lost.stderr).toMatch(/lost the Kubernetes API, so its state is unknown: local\/marketplace-\w+-service /)
        expect(lost.stderr).toMatch(/mkt rollback marketplace-\w+-service --env local/)
        expect(lost.stderr).not.toContain('not healthy on either revision')
      }
    }
  }, 240_000)

  it('reset wipes changes and reseeds; stop stops it and status says so', async () => {
    const status = parseEnvelope(await mkt('sandbox', 'status', '--json')).result as Status
    const kubectl = await kubectlPath()
    const kc = (...args: string[]) =>
      execFileSync(kubectl, ['--kubeconfig', status.kubeconfig, '--cache-dir', join(dataDir, 'kubectl-cache'), ...args], { encoding: 'utf8' })
    kc('-n', 'marketplace', 'delete', 'deployment', 'pricing-service')
    expect((parseEnvelope(await mkt('sandbox', 'status', '--json')).result as Status).objects['deployments.apps']).toBe(15)

    const reset = await mkt('sandbox', 'reset', '--json')
    expect(reset.exitCode).toBe(0)
    expect((parseEnvelope(reset).result as Status).objects['deployments.apps']).toBe(16)
    // the kubeconfig handed out before the reset still works
    expect(kc('-n', 'marketplace', 'get', 'deployment', 'pricing-service', '-o', 'name').trim()).toBe('deployment.apps/pricing-service')

    const stop = await mkt('sandbox', 'stop', '--json')
    expect((parseEnvelope(stop).result as { stopped: boolean }).stopped).toBe(true)
    expect((parseEnvelope(await mkt('sandbox', 'status', '--json')).result as Status).running).toBe(false)
    expect((parseEnvelope(await mkt('sandbox', 'stop', '--json')).result as { stopped: boolean }).stopped).toBe(false)
  })
})
