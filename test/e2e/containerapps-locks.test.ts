// Locks and the operator's way out on Container Apps, through the built CLI with default flags, against the
// sandbox's ARM endpoint (the built-in `containerapps` environment), observed with the real ContainerAppsAPIClient:
// - a lock tag left by a foreign holder shows in `lock status --json`, stops a deploy (73, naming the way out), is
//   broken by `lock break --yes` with the break audited in the app's `mkt-lock-broken` tag, and a deploy then works;
// - `lock break` without --reason is a usage error (64) that changes nothing;
// - `rollback --force-unlock` breaks a stuck lock too, and its human line says which revision serves now;
// - a lock whose holder was an mkt process on this host that no longer runs is taken over at once (said);
// - `health serve` and `config push --restart` refuse Container Apps regions in one line (78).
import { spawnSync } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import type { ContainerAppsAPIClient } from '@azure/arm-appcontainers'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseEnvelope, runMkt, validateEnvelope } from '../helpers/cli.js'
import { startSandboxForContainerApps, SANDBOX_RESOURCE_GROUP as RG, strandLock as strand } from '../helpers/sandbox.js'

const dataDir = mkdtempSync(join(tmpdir(), 'mkt-containerapps-locks-e2e-'))
const cwd = mkdtempSync(join(tmpdir(), 'mkt-containerapps-locks-cwd-'))
const env = { MKT_SANDBOX_DIR: dataDir }
const mkt = (...args: string[]) => runMkt([...args, '--env', 'containerapps'], { env, cwd, timeoutMs: 240_000 })
const APP = 'pricing-service'
let client: ContainerAppsAPIClient

const tagsOf = async () => (await client.containerApps.get(RG, APP)).tags ?? {}

const strandLock = (holder: string, operation: string) => strand(client, APP, holder, operation)

interface LockRow {
  region: string
  component: string
  holder: string | null
  operation: string | null
  expired: boolean
}

async function locks(): Promise<LockRow[]> {
  const run = await mkt('lock', 'status', '--json')
  expect(run.exitCode, run.stderr).toBe(0)
  const envelope = parseEnvelope(run)
  expect(validateEnvelope('lock status', envelope)).toEqual([])
  return (envelope.result as { locks: LockRow[] }).locks
}

beforeAll(async () => {
  client = await startSandboxForContainerApps(dataDir, { env, cwd })
}, 150_000)

afterAll(async () => {
  await runMkt(['sandbox', 'stop'], { env, cwd })
})

describe('Container Apps locks through the built CLI', () => {
  it('a stranded lock: seen in lock status, stops a deploy (73), broken with lock break --yes and audited; then a deploy works', async () => {
    await strandLock('alice@laptop/4242', 'deploy 9.9.9')
    expect(await locks()).toEqual([expect.objectContaining({ region: 'local', component: APP, holder: 'alice@laptop/4242', operation: 'deploy 9.9.9', expired: false })])

    const blocked = await mkt('deploy', 'service', 'pricing', '--image', '2.0.0', '--json')
    expect(blocked.exitCode, blocked.stderr).toBe(73)
    const error = parseEnvelope(blocked).error!
    expect(error.message).toContain('held by alice@laptop/4242')

    const refused = await mkt('lock', 'break', 'pricing', '--yes')
    expect(refused.exitCode).toBe(64)
    expect(refused.stderr).toContain('Missing required flag reason')
    expect((await tagsOf())['mkt-lock']).toContain('alice@laptop/4242')

    const broken = await mkt('lock', 'break', 'pricing', '--reason', 'INC-7: runner died', '--yes', '--json')
    expect(broken.exitCode, broken.stderr).toBe(0)
    const envelope = parseEnvelope(broken)
    expect(validateEnvelope('lock break', envelope)).toEqual([])
    const result = envelope.result as { component: string; brokenBy: string; reason: string; regions: unknown[] }
    expect(result).toMatchObject({ component: APP, reason: 'INC-7: runner died', regions: [{ region: 'local', broken: true, holder: 'alice@laptop/4242' }] })
    // Who broke it, whose it was and why stay on the app (Container Apps has no Events).
    const tags = await tagsOf()
    expect(tags['mkt-lock']).toBeUndefined()
    expect(JSON.parse(tags['mkt-lock-broken']!)).toMatchObject({ by: result.brokenBy, h: 'alice@laptop/4242', r: 'INC-7: runner died' })
    expect(await locks()).toEqual([])

    const again = await mkt('lock', 'break', 'pricing', '--reason', 'INC-7', '--yes')
    expect(again.exitCode, again.stderr).toBe(0)
    expect(again.stdout.trim()).toBe('local: no lock to break')

    const deploy = await mkt('deploy', 'service', 'pricing', '--image', '2.0.0', '--json')
    expect(deploy.exitCode, deploy.stderr).toBe(0)
    expect((parseEnvelope(deploy).result as { items: Array<{ outcome: string; toRevision: number }> }).items[0]).toMatchObject({ outcome: 'deployed', toRevision: 2 })
    expect((await tagsOf())['mkt-lock']).toBeUndefined()
  }, 240_000)

  it('rollback --force-unlock breaks a stranded lock, and its line says which revision serves now', async () => {
    await strandLock('bob@runner/7', 'deploy 3.0.0')
    const run = await mkt('rollback', 'pricing', '--force-unlock', '--reason', 'INC-8')
    expect(run.exitCode, run.stderr).toBe(0)
    // Revisions keep their numbers on Container Apps: r1 itself serves again (no "r1 now r1").
    expect(run.stdout).toMatch(/^local\s+pricing-service:2\.0\.0 \(r2\)\s+pricing-service:\S+ \(r1 serving\)\s+rolled-back$/m)
    expect(run.stdout).not.toContain(' now r')
    const tags = await tagsOf()
    expect(tags['mkt-lock']).toBeUndefined()
    expect(JSON.parse(tags['mkt-lock-broken']!)).toMatchObject({ h: 'bob@runner/7', r: 'rollback --force-unlock: INC-8' })
  }, 240_000)

  it('a lock left by an mkt process that died on this host is taken over at once, and the take-over is said', async () => {
    // The holder a killed `mkt deploy` leaves: this host, a pid that no longer runs (a lease that has not run out).
    const gone = spawnSync(process.execPath, ['-e', '0']).pid!
    await strandLock(`root@${hostname()}/${gone}`, 'deploy 9.9.9')
    const deploy = await mkt('deploy', 'service', 'pricing', '--image', '4.0.0', '--json')
    expect(deploy.exitCode, deploy.stderr).toBe(0)
    expect(parseEnvelope(deploy).warnings.join('\n')).toMatch(new RegExp(`took over the lock mkt-lock on container app ${APP} from root@\\S+/${gone}: that process is no longer running on this host`))
    expect((await tagsOf())['mkt-lock']).toBeUndefined()
  }, 240_000)

  it('health serve and config push --restart refuse a Container Apps region in one line: exit 78', async () => {
    const serve = await mkt('health', 'serve')
    expect(serve.exitCode).toBe(78)
    expect(serve.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^Error: `mkt health serve` is not supported on Container Apps regions .*`mkt health --env containerapps --json`/)])
    const push = await mkt('config', 'push', '--restart', '--yes')
    expect(push.exitCode).toBe(78)
    expect(push.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^Error: `mkt config` \(plan, push, push --restart\) is not supported on Container Apps regions .*az containerapp update --set-env-vars/)])
  }, 60_000)
})
