// A failing `mkt config push --restart` with DEFAULT flags and the sandbox's default timing (no --timeout, no
// --bake, no MKT_PROBE_INTERVAL_MS, no pod start knob): what an operator meets. config.test.ts shortens those
// file-wide, so this scenario has its own file. The gates must see the failure in its signals (the pod's
// readiness answers, a crash loop), well before the 10-minute rollout timeout, and roll back (exit 80).
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseEnvelope, runMkt, validateEnvelope } from '../helpers/cli.js'
import { kubectlPath } from '../helpers/kubectl.js'

const dataDir = mkdtempSync(join(tmpdir(), 'mkt-config-restart-e2e-'))
const project = mkdtempSync(join(tmpdir(), 'mkt-config-restart-project-'))
const env = { MKT_SANDBOX_DIR: dataDir }
const mkt = (...args: string[]) => runMkt(args, { env, cwd: project, timeoutMs: 280_000 })
let kubeconfig = ''
let kubectl = ''
const kc = (...args: string[]) => execFileSync(kubectl, ['--kubeconfig', kubeconfig, '--cache-dir', join(dataDir, 'kc'), '-n', 'marketplace', ...args], { encoding: 'utf8' })
const checksumOf = (deployment: string) => kc('get', `deployment/${deployment}`, '-o', 'jsonpath={.spec.template.metadata.annotations.mkt\\.dev/config-checksum}')

interface Restart {
  component: string
  outcome: string
  reason: string
}

/** Changes the component's local configuration, and makes the pods of exactly that configuration fail with `fault`. */
async function badConfiguration(component: string, deployment: string, fault: string): Promise<string> {
  const file = join(project, 'config', 'local', `${deployment}.yaml`)
  writeFileSync(file, readFileSync(file, 'utf8').replace(/PageSize: \d+/, 'PageSize: 93'))
  const planned = parseEnvelope(await mkt('config', 'plan', '-c', component, '--json')).result as { components: Array<{ checksum: string }> }
  const checksum = planned.components[0]!.checksum
  expect((await mkt('sandbox', 'fault', 'set', component, '--pod-annotation', `mkt.dev/config-checksum=${checksum}`, fault)).exitCode).toBe(0)
  return checksum
}

async function push(component: string): Promise<{ exitCode: number | null; restart: Restart; code: string; message: string; elapsedMs: number }> {
  const started = Date.now()
  const run = await mkt('config', 'push', '-c', component, '--restart', '--json')
  const elapsedMs = Date.now() - started
  const envelope = parseEnvelope(run)
  expect(validateEnvelope('config push', envelope)).toEqual([])
  const [restart] = (envelope.result as { restarts: Restart[] }).restarts
  return { exitCode: run.exitCode, restart: restart!, code: envelope.error?.code ?? '', message: envelope.error?.message ?? '', elapsedMs }
}

beforeAll(async () => {
  kubectl = await kubectlPath()
  expect((await mkt('init', '-q')).exitCode).toBe(0)
  kubeconfig = (parseEnvelope(await mkt('sandbox', 'start', '--json')).result as { kubeconfig: string }).kubeconfig
  kc('wait', '--for=condition=Available', 'deployment', '--all', '--timeout=120s')
}, 300_000)

afterAll(async () => {
  await mkt('sandbox', 'stop')
})

describe('config push --restart with default flags', () => {
  it('a configuration whose pods never become ready, or crash, is rolled back (exit 80) on the pods\' signals, not the 10-minute timeout', async () => {
    const notReady = await badConfiguration('catalog', 'marketplace-catalog-service', '--not-ready')
    const crashing = await badConfiguration('search', 'marketplace-search-service', '--crashloop')
    const [catalog, search] = await Promise.all([push('catalog'), push('search')])
    for (const [run, deployment, checksum] of [
      [catalog, 'marketplace-catalog-service', notReady],
      [search, 'marketplace-search-service', crashing],
    ] as const) {
      expect(run.exitCode, run.restart.reason).toBe(80)
      expect(run.code).toBe('ROLLED_BACK')
      expect(run.restart).toMatchObject({ component: deployment, outcome: 'rolled-back' })
      expect(run.message).toMatch(/; rollback healthy$/)
      expect(checksumOf(deployment)).not.toBe(checksum)
      console.log(`${deployment}: exit 80 after ${(run.elapsedMs / 1000).toFixed(1)} s wall clock: ${run.restart.reason}`)
    }
    // The verdict names the signal it came from: the pod's own readiness answer, the crash loop. A timeout would
    // say "timed out" (exit 75 or a timeout reason) after 10 minutes.
    expect(catalog.restart.reason).toMatch(/^readiness: pod \S+ not ready after \d+s: Unhealthy: startup Unhealthy \(Not ready to serve traffic/)
    expect(search.restart.reason).toMatch(/^pods: pod \S+: container "marketplace-search-service" is in CrashLoopBackOff/)
    // The readiness verdict waited the pod's probe budget and the grace, far from the rollout timeout.
    const waited = Number(/not ready after (\d+)s/.exec(catalog.restart.reason)![1])
    expect(waited).toBeLessThan(600)
  }, 290_000)
})
