import type { SandboxStatus } from '../sandbox-cli.js'
import { renderKeyValues } from './output.js'

export function renderSandboxStatus(status: SandboxStatus): string {
  if (!status.running) return renderKeyValues([['running', 'no (any command against the local environment starts it)'], ['data', status.dataDir]])
  const objects = Object.entries(status.objects)
    .filter(([, n]) => n > 0)
    .map(([kind, n]) => `${kind} ${n}`)
    .join(', ')
  return renderKeyValues([
    ['running', `yes (pid ${status.pid}, up ${status.uptimeSeconds}s)`],
    ['kubernetes', status.endpoints?.kubernetes ?? '-'],
    ...(status.endpoints?.serviceBus ? [['service bus', status.endpoints.serviceBus] as [string, string]] : []),
    ...(status.endpoints?.keyVault ? [['key vault', status.endpoints.keyVault] as [string, string]] : []),
    ...(status.endpoints?.arm ? [['azure rm', status.endpoints.arm] as [string, string]] : []),
    ...(status.endpoints?.postgres ? [['postgres', `${status.endpoints.postgres} (PGlite, starts on first use)`] as [string, string]] : []),
    ['kubeconfig', status.kubeconfig],
    ...(status.regions && status.regions.length > 0 ? [['regions', status.regions.map((r) => `${r.region} ${r.up ? r.endpoint : 'down'}`).join(', ')] as [string, string]] : []),
    ['objects', objects || '-'],
    ['data', status.dataDir],
    ['log', status.log],
    ['try', `kubectl --kubeconfig ${status.kubeconfig} -n marketplace get deployments`],
  ])
}
