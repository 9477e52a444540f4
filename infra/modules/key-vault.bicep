// Every secret the app reads, in one vault. The Function App resolves them through Key Vault
// references (@Microsoft.KeyVault(...)) with its own identity (Key Vault Secrets User, access.bicep);
// no secret value sits in an app setting, a parameter file or an output. Storage and PostgreSQL
// need none: the app signs in to both with that identity.
param location string
param tags object
param resourceToken string

@secure()
@description('Optional secrets by name; an empty value is not stored (its feature stays off).')
param secrets object

resource vault 'Microsoft.KeyVault/vaults@2024-11-01' = {
  name: 'kv-${resourceToken}'
  location: location
  tags: tags
  properties: {
    tenantId: tenant().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 7
    publicNetworkAccess: 'Enabled'
  }
}

resource optional 'Microsoft.KeyVault/vaults/secrets@2024-11-01' = [
  for secret in items(secrets): if (!empty(secret.value)) {
    parent: vault
    name: secret.key
    properties: {
      value: secret.value
    }
  }
]

output name string = vault.name
