// The JSON shapes of deploy results: plain data for --json, stable across versions.
import type { DeployResult } from './deploy.js'
import type { DeployPlan } from './plan.js'

export function summarizePlan(plan: DeployPlan) {
  return {
    regions: plan.regions.map((r) => ({
      region: r.region,
      components: r.components.map((e) => ({
        component: e.component,
        from: e.from ?? null,
        to: e.to ?? null,
        revision: e.revision ?? null,
        changes: e.changes,
        strategy: e.strategy,
        canarySteps: (e.canarySteps ?? []).map((s) => ({ weight: s.weight, canaryReplicas: s.canaryReplicas })),
        blockers: e.blockers,
        notes: e.notes,
      })),
    })),
    waves: plan.waves,
    blockers: plan.blockers,
  }
}

export function summarizeDeploy(result: DeployResult) {
  return result.items.map((i) => ({
    region: i.region,
    component: i.component,
    from: i.from,
    to: i.to,
    fromRevision: i.fromRevision,
    toRevision: i.toRevision,
    outcome: i.outcome,
    reason: i.reason,
    gates: i.gates.map((g) => ({ gate: g.gate, status: g.status, reason: g.reason })),
    durationMs: i.durationMs,
    undo: i.undo,
    rollback: i.rollback,
  }))
}
