import type { ComponentPlan } from './service.js'

/** One block per component with changes: `+ key=value`, `~ key: a -> b`, `- key`, and secret states. */
export function describeConfigPlan(plans: ComponentPlan[]): string {
  const lines: string[] = []
  for (const plan of plans) {
    const changes = [
      ...plan.data.added.map((a) => `  + ${a.key}=${a.value}`),
      ...plan.data.changed.map((c) => `  ~ ${c.key}: ${c.from} -> ${c.to}`),
      ...plan.data.removed.map((r) => `  - ${r.key}`),
      ...(plan.envFromWired ? [] : [`  + envFrom configMapRef ${plan.configMap}`]),
      ...plan.secrets.filter((s) => s.state !== 'present' && s.state !== 'unchanged').map((s) => `  ! secret ${s.name} (${s.key}): ${s.state}`),
    ]
    if (changes.length > 0) lines.push(`${plan.region}/${plan.component} (${plan.configMap}):`, ...changes)
  }
  return lines.length === 0 ? 'No changes: every ConfigMap and secret matches the configuration.' : lines.join('\n')
}
