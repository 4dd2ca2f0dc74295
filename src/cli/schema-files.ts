// The JSON Schemas published in schemas/: mkt.yaml for editors, and each command's --json envelope.
import { z } from 'zod'
import { platformSchema } from '../platform/schema.js'
import { releaseManifestSchema } from '../release/manifest.js'
import { topologySchema } from '../topology/schema.js'
import { allResultSchemas, envelopeSchema } from './result-schemas.js'

export const resultSchemaFile = (id: string) => `results/${id.replace(/ /g, '-')}.schema.json`

export function generatedSchemas(): Record<string, unknown> {
  const files: Record<string, unknown> = {
    'mkt.schema.json': {
      ...z.toJSONSchema(platformSchema, { io: 'input', target: 'draft-2020-12' }),
      $id: 'https://mkt.dev/schemas/mkt.schema.json',
      title: 'mkt.yaml',
    },
  }
  files['topology.schema.json'] = {
    ...z.toJSONSchema(topologySchema, { io: 'input', target: 'draft-2020-12' }),
    $id: 'https://mkt.dev/schemas/topology.schema.json',
    title: 'topology.yaml',
  }
  files['release.schema.json'] = {
    ...z.toJSONSchema(releaseManifestSchema, { io: 'input', target: 'draft-2020-12' }),
    $id: 'https://mkt.dev/schemas/release.schema.json',
    title: 'release.yaml',
  }
  for (const id of Object.keys(allResultSchemas)) {
    files[resultSchemaFile(id)] = { ...z.toJSONSchema(envelopeSchema(id), { target: 'draft-2020-12' }), title: `mkt ${id} --json` }
  }
  return files
}
