// Every secret the app reads, in one vault. The Function App resolves them through Key Vault
// references (@Microsoft.KeyVault(...)) with its own identity (Key Vault Secrets User, access.bicep);
// no secret value sits in an app setting, a parameter file or an output.
param location string
param tags object
param resourceToken string

@description('The storage account whose connection string the app uses (AzureWebJobsStorage).')
param storageAccountName string

@secure()
@description('postgresql://… with the password: the app\'s DATABASE_URL.')
param databaseUrl string

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

resource storageAccount 'Microsoft.Storage/storageAccounts@2024-01-01' existing = {
  name: storageAccountName
}

resource storageConnection 'Microsoft.KeyVault/vaults/secrets@2024-11-01' = {
  parent: vault
  name: 'storage-connection-string'
  properties: {
    // The app's queue sender, blob store and upload-link signer take a connection string with the
    // account key (shared/storage); written here so it never appears in an app setting.
    value: 'DefaultEndpointsProtocol=https;AccountName=${storageAccount.name};AccountKey=${storageAccount.listKeys().keys[0].value};EndpointSuffix=${environment().suffixes.storage}'
  }
}

resource database 'Microsoft.KeyVault/vaults/secrets@2024-11-01' = {
  parent: vault
  name: 'database-url'
  properties: {
    value: databaseUrl
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
