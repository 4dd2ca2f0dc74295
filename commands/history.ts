import { Args } from '@oclif/core'
import { envFlag, MktCommand, regionsFlag } from '../src/cli/mkt-command.js'
import { renderTable } from '../src/cli/output.js'
import type { ResultOf } from '../src/cli/result-schemas.js'
import { regionsFromFlag } from '../src/kube/client.js'
import { resolveComponent } from '../src/platform/components.js'
import { describeCell, historyByImage, type ImageRow } from '../src/rollout/history-regions.js'
import { readHistory } from '../src/rollout/rollback.js'

export default class History extends MktCommand<typeof History> {
  static override summary = 'Revisions of a component: image, when, who, why, verdict, and which one runs.'
  static override description = `Revision numbers are the ones \`kubectl rollout history\` shows; rollbacks renumber them like kubectl does.
verdict: passed (its gates held), rolled-back, failed, pending (a release in progress, or one whose mkt died), or
external: made outside mkt (kubectl, Helm, a restart) and never verified; it shows its own change-cause only.`
  static override args = { component: Args.string({ description: 'Component (name, alias or .NET name)', required: true }) }
  static override flags = {
    env: envFlag,
    regions: regionsFlag,
  }
  static override examples = ['<%= config.bin %> history catalog', '<%= config.bin %> history catalog --env prod --json']

  async run(): Promise<ResultOf<'history'>> {
    const { flags } = this
    const { platform } = await this.platform()
    const environment = await this.environment(flags.env)
    const component = resolveComponent(platform, this.args.component)
    const regions = regionsFromFlag(environment, flags.regions)
    const history = await readHistory(platform, environment, component, regions)
    if (history.regions.length > 1) {
      // Side by side: a row per image, a column per region (revision numbers differ per region).
      this.out.result(
        renderTable(historyByImage(history.regions), [
          { header: 'image', get: (row) => row.image },
          { header: 'first deployed', get: (row) => row.firstSeen ?? '-' },
          ...history.regions.map((region) => ({ header: region.region, get: (row: ImageRow) => describeCell(row.regions[region.region] ?? []) })),
        ]),
      )
      this.out.info(`A cell is the region's revision of that image and its verdict; * runs now. \`mkt history ${component.name} --regions <region>\` shows who, when and why.`)
    }
    for (const region of history.regions.length > 1 ? [] : history.regions) {
      this.out.result(
        renderTable(region.revisions, [
          { header: 'revision', get: (r) => `${r.current ? '*' : ' '}${r.revision}${r.formerRevisions.length > 0 ? ` (was ${r.formerRevisions.join(', ')})` : ''}` },
          { header: 'image', get: (r) => r.image ?? '-' },
          { header: 'deployed', get: (r) => r.deployedAt ?? r.createdAt ?? '-' },
          { header: 'by', get: (r) => r.deployedBy ?? '-' },
          { header: 'reason', get: (r) => r.reason ?? r.changeCause ?? '-' },
          // Why a revision failed or was rolled back is the question history is opened for: say it here.
          { header: 'verdict', get: (r) => (r.verdict ? `${r.verdict}${r.verdictReason ? `: ${r.verdictReason}` : ''}` : '-') },
        ]),
      )
      if (region.revisions.some((r) => r.formerRevisions.length > 0)) {
        this.out.info('A rollback brings an earlier revision back under the next number, as kubectl does: "was N" lists the numbers it had before.')
      }
    }
    return {
      environment: history.environment,
      component: history.component,
      regions: history.regions.map((r) => ({
        region: r.region,
        revisions: r.revisions.map((e) => ({
          revision: e.revision,
          current: e.current,
          image: e.image ?? null,
          replicaSet: e.replicaSet,
          createdAt: e.createdAt ?? null,
          deployedAt: e.deployedAt ?? null,
          deployedBy: e.deployedBy ?? null,
          reason: e.reason ?? null,
          changeCause: e.changeCause ?? null,
          gitSha: e.gitSha ?? null,
          runUrl: e.runUrl ?? null,
          verdict: e.verdict,
          verdictReason: e.verdictReason ?? null,
          formerRevisions: e.formerRevisions,
          replicas: e.replicas,
        })),
      })),
    }
  }
}
