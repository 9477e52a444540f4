// The app's storage account: queues (jobs and their -poison twins), blob containers (documents,
// images, inbox, the Flex deployment package), the SPA's static website ($web, enabled by the
// deploy script: it is a data-plane setting ARM cannot set), CORS for the browser's PUTs to
// upload links, and the Event Grid system topic the blob triggers subscribe to after deploy.
param location string
param tags object
param resourceToken string
param queueNames array
param containerNames array

@description('Origins whose pages PUT files to upload links (the app\'s one origin).')
param uploadOrigins array

var deploymentContainerName = 'app-package-${resourceToken}'

resource account 'Microsoft.Storage/storageAccounts@2024-01-01' = {
  name: 'st${resourceToken}'
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: { name: 'Standard_LRS' }
  properties: {
    accessTier: 'Hot'
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    allowBlobPublicAccess: false
    // No account keys at all: the host, the app and the deployment storage use the app's identity,
    // upload links are signed with a user delegation key, and the deployer uploads $web with theirs.
    allowSharedKeyAccess: false
    // Without a key, the portal's data views must sign in with Entra too.
    defaultToOAuthAuthentication: true
    publicNetworkAccess: 'Enabled'
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2024-01-01' = {
  parent: account
  name: 'default'
  properties: {
    // The same rule the app sets on Azurite (BlobStore.allowUploadsFrom): the browser PUTs the
    // bytes of a large document straight to its write-only link.
    cors: {
      corsRules: [
        {
          allowedOrigins: uploadOrigins
          allowedMethods: ['PUT', 'OPTIONS']
          allowedHeaders: ['content-type', 'x-ms-blob-type', 'x-ms-version', 'x-ms-client-request-id']
          exposedHeaders: ['etag']
          maxAgeInSeconds: 3600
        }
      ]
    }
    deleteRetentionPolicy: {
      enabled: true
      days: 7
    }
  }
}

resource containers 'Microsoft.Storage/storageAccounts/blobServices/containers@2024-01-01' = [
  for name in concat(containerNames, [deploymentContainerName]): {
    parent: blobService
    name: name
    properties: {
      publicAccess: 'None'
    }
  }
]

resource queueService 'Microsoft.Storage/storageAccounts/queueServices@2024-01-01' = {
  parent: account
  name: 'default'
}

resource queues 'Microsoft.Storage/storageAccounts/queueServices/queues@2024-01-01' = [
  for name in queueNames: {
    parent: queueService
    name: name
  }
]

resource blobEvents 'Microsoft.EventGrid/systemTopics@2025-02-15' = {
  name: 'evgt-${resourceToken}'
  location: location
  tags: tags
  properties: {
    source: account.id
    topicType: 'Microsoft.Storage.StorageAccounts'
  }
}

output name string = account.name
output blobEndpoint string = account.properties.primaryEndpoints.blob
output deploymentContainerName string = deploymentContainerName
// primaryEndpoints.web is https://<account>.<zone>.web.core.windows.net/: Front Door wants the host.
output staticWebsiteHostName string = replace(replace(account.properties.primaryEndpoints.web, 'https://', ''), '/', '')
output eventGridSystemTopicName string = blobEvents.name
