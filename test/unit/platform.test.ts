import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { errorOf } from '../helpers/errors.js'
import { closestNames, dependencyWaves, editDistance, resolveComponent, resolveComponents, toKebabCase, toPascalCase } from '../../src/platform/components.js'
import { regionsInRolloutOrder, resolveEnvironment } from '../../src/platform/environments.js'
import { parsePlatform } from '../../src/platform/parse.js'

const builtIn = readFileSync(join(__dirname, '..', '..', 'templates', 'mkt.yaml'), 'utf8')
const platform = parsePlatform(builtIn, 'mkt.yaml')


describe('component names', () => {
  it('converts between PascalCase and kebab-case', () => {
    expect(toKebabCase('MarketplaceCatalogService')).toBe('marketplace-catalog-service')
    expect(toKebabCase('AssetQualityScanWorker')).toBe('asset-quality-scan-worker')
    expect(toKebabCase('marketplace-catalog-service')).toBe('marketplace-catalog-service')
    expect(toPascalCase('asset-quality-scan-worker')).toBe('AssetQualityScanWorker')
  })

  it('resolves kebab-case, PascalCase, .Api names and aliases to the same component', () => {
    for (const input of ['marketplace-catalog-service', 'MarketplaceCatalogService', 'catalog', 'Catalog']) {
      expect(resolveComponent(platform, input).name).toBe('marketplace-catalog-service')
    }
  })

  it('fails with exit 64 and the closest names for an unknown one', () => {
    const error = errorOf(() => resolveComponent(platform, 'catalgo'))
    expect(error.exitCode).toBe(64)
    expect(error.message).toBe('unknown component "catalgo"')
    expect(error.hints[0]).toBe('Did you mean "catalog"?')
  })

  it('drops duplicates when several names point at one component', () => {
    expect(resolveComponents(platform, ['catalog', 'MarketplaceCatalogService', 'search']).map((c) => c.name)).toEqual([
      'marketplace-catalog-service',
      'marketplace-search-service',
    ])
  })

  it('edit distance and suggestions', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3)
    expect(closestNames('pricng', ['pricing', 'license', 'portal'])).toEqual(['pricing'])
    expect(closestNames('zzzzzz', ['pricing', 'license'])).toEqual([])
  })
})

describe('dependency waves', () => {
  it('orders selected components so each wave depends only on earlier ones', () => {
    const selected = resolveComponents(platform, ['installation', 'catalog', 'asset-version', 'dependencies', 'license', 'install-worker'])
    const waves = dependencyWaves(selected, platform.components).map((w) => w.map((c) => c.name))
    expect(waves).toEqual([
      ['license-service', 'marketplace-catalog-service'],
      ['asset-version-service'],
      ['dependency-resolution-service'],
      ['asset-installation-service'],
      ['installation-worker'],
    ])
  })

  it('puts independent components in one wave', () => {
    const waves = dependencyWaves(resolveComponents(platform, ['pricing', 'license']), platform.components)
    expect(waves.map((w) => w.map((c) => c.name))).toEqual([['license-service', 'pricing-service']])
  })
})

describe('environments', () => {
  it('defaults to defaults.environment and orders regions primary first', () => {
    expect(resolveEnvironment(platform, undefined).name).toBe('local')
    const prod = resolveEnvironment(platform, 'prod')
    expect(regionsInRolloutOrder(prod).map((r) => r.name)).toEqual(['westeurope', 'northeurope'])
  })

  it('unknown environments are usage errors with a suggestion', () => {
    const error = errorOf(() => resolveEnvironment(platform, 'stagin'))
    expect(error.exitCode).toBe(64)
    expect(error.hints[0]).toBe('Did you mean "staging"?')
  })
})

describe('mkt.yaml validation', () => {
  const invalid = (text: string) => errorOf(() => parsePlatform(text, 'mkt.yaml'))

  it('the built-in platform has the 11 services and 5 workers', () => {
    expect(platform.components.filter((c) => c.kind === 'service')).toHaveLength(11)
    expect(platform.components.filter((c) => c.kind === 'worker')).toHaveLength(5)
  })

  it('rejects a region with no cluster target, naming the line', () => {
    const error = invalid(builtIn.replace('        sandbox: true\n', ''))
    expect(error.exitCode).toBe(65)
    expect(error.message).toMatch(/^mkt\.yaml:\d+:\d+: environments\[0\]\.regions\[0\]: needs exactly one of aks, kubeContext, containerApps or sandbox: true$/)
  })

  it('rejects an alias used twice', () => {
    const error = invalid(builtIn.replace('aliases: [search]', 'aliases: [catalog]'))
    expect(error.message).toMatch(/components\[1\]\.aliases\[0\]: "catalog" is already used by marketplace-catalog-service/)
  })

  it('rejects a dependsOn cycle', () => {
    const error = invalid(builtIn.replace('    aliases: [catalog]\n', '    aliases: [catalog]\n    dependsOn: [reviews]\n'))
    expect(error.message).toMatch(/dependsOn has a cycle: .*marketplace-catalog-service/)
  })

  it('rejects a multi-region environment without exactly one primary', () => {
    const error = invalid(builtIn.replace('        primary: true\n        aks:\n          subscription: 00000000-0000-0000-0000-000000000000\n          resourceGroup: rg-marketplace-prod-weu', '        aks:\n          subscription: 00000000-0000-0000-0000-000000000000\n          resourceGroup: rg-marketplace-prod-weu'))
    expect(error.message).toMatch(/environments\[3\]\.regions: needs exactly one primary region/)
  })

  it('rejects a default environment that does not exist', () => {
    const error = invalid(builtIn.replace('  environment: local', '  environment: qa'))
    expect(error.message).toMatch(/defaults\.environment: unknown environment "qa"/)
  })

  it('reports a missing required field', () => {
    const error = invalid('apiVersion: mkt/v1\ncomponents: []\nenvironments: []\n')
    expect(error.message).toMatch(/^mkt\.yaml:1:1: platform: is required/)
  })
})
