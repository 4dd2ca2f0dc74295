// The sandbox with its controllers on: startSandbox wires the controller manager, the simulated
// application (service proxy backend) and the fault routes into the API server. Rollout behaviour
// itself is tested with the controllers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { raw, startTestSandbox, waitFor, type TestSandbox } from './sandbox-helpers.js'

let sb: TestSandbox
const NAME = 'marketplace-catalog-service'

beforeAll(async () => {
  sb = await startTestSandbox({ controllers: true, podStartDelayMs: 50, seed: [{ name: NAME, kind: 'service', port: 8080, image: 'acr.example/catalog:1.0.0' }] })
})

afterAll(async () => {
  await sb?.stop()
})

describe('sandbox with controllers', () => {
  it('rolls out the seeded Deployment and answers health through the service proxy', async () => {
    await waitFor(async () => {
      const d = await sb.apps.readNamespacedDeployment({ name: NAME, namespace: 'marketplace' })
      return d.status?.availableReplicas === 2 ? d : undefined
    }, 20_000, 'the seeded deployment to become available')
    const pods = await sb.core.listNamespacedPod({ namespace: 'marketplace', labelSelector: `app.kubernetes.io/name=${NAME}` })
    expect(pods.items).toHaveLength(2)
    const ready = await waitFor(async () => {
      const response = await raw(sb, 'GET', `/api/v1/namespaces/marketplace/services/${NAME}:80/proxy/health/ready`)
      return response.status === 200 ? response : undefined
    }, 10_000, 'the service proxy to answer')
    expect(ready.headers['content-type']).toMatch(/json/)
    const log = await sb.core.readNamespacedPodLog({ name: pods.items[0]!.metadata!.name!, namespace: 'marketplace' })
    expect(log.length).toBeGreaterThan(0)
    const status = (await raw(sb, 'GET', '/_sandbox/status')).json() as { objects: Record<string, number> }
    expect(status.objects.pods).toBe(2)
  })
})
