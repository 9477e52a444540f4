// GloriaMundo in Azure: one resource group holding the Function App (Flex Consumption), its storage
// (queues, blobs, the SPA in $web), Key Vault, PostgreSQL, the Durable Task Scheduler, monitoring,
// and Front Door serving /api/* and the SPA on one origin. `azd up` provisions this, then the
// postprovision hook (scripts/deploy.sh) publishes the code and the web app.
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('Name of the azd environment: names the resource group and seeds every resource name.')
param environmentName string

@minLength(1)
@description('Region for every resource (Front Door is global). It must offer Flex Consumption and the Durable Task Scheduler.')
@metadata({ azd: { type: 'location' } })
param location string

@description('Object id of whoever runs azd; gets data access to the storage account (to upload the web app) and the scheduler dashboard. azd fills it in.')
param principalId string = ''

@allowed(['User', 'ServicePrincipal'])
@description('What principalId is: a person (User) or a pipeline (ServicePrincipal).')
param principalType string = 'User'

@minValue(0)
@maxValue(20)
@description('Always-ready instances for the HTTP functions. 0 scales to zero (a cold start on the first request after a quiet spell); each ready instance is billed while idle.')
param httpAlwaysReady int = 0

@allowed([512, 2048, 4096])
@description('Memory of each Function App instance, in MB.')
param instanceMemoryMB int = 2048

@minValue(40)
@maxValue(1000)
@description('Most instances the Function App may scale out to.')
param maximumInstanceCount int = 100

@minValue(1)
@maxValue(100)
@description('PostgreSQL connections each instance may hold (DB_POOL_MAX); an idle one is closed after 10 s. The server (B1ms) takes 35 from the app: at 4, eight instances busy at the database at once hold 32. Past 35, a new connection is refused and its request answers 503 with Retry-After. Raise both with the server\'s size (B2s takes 414).')
param databasePoolMax int = 4

@minValue(1)
@maxValue(1000)
@description('Concurrent HTTP requests each instance takes (a streamed reply holds one for its whole length) before Flex Consumption adds an instance; 16 is the platform\'s own default for 2 GB instances.')
param httpPerInstanceConcurrency int = 16

@allowed(['dts', 'storage'])
@description('Durable Functions backend: the Durable Task Scheduler (dts, recommended on Flex Consumption) or the Azure Storage backend (storage: tables and queues in the app\'s own account).')
param durableBackend string = 'dts'

@description('The origin people use, when it is a custom domain on Front Door (https://chat.example.com). Empty: the Front Door endpoint\'s own https://<name>.azurefd.net.')
param publicBaseUrl string = ''

@minValue(0)
@maxValue(255)
@description('Seconds between Front Door\'s GET /api/health probes. 0 turns probing off, as Microsoft advises for an origin group with one origin; probes keep instances busy, which a scale-to-zero plan bills.')
param apiHealthProbeIntervalSeconds int = 0

@description('Your Microsoft Entra sign-in name (you@example.com), to make whoever runs azd (principalId) a database administrator beside the app. Empty: only the app\'s identity signs in; the server takes no passwords.')
param postgresAdminPrincipalName string = ''

@allowed(['pgvector', 'mongodb'])
@description('Where document vectors live: pgvector in the same PostgreSQL, or MongoDB Atlas (mongodbUri).')
param vectorStore string = 'pgvector'

// Secrets: each non-empty one is written to Key Vault and the app reads it through a Key Vault
// reference; an empty one leaves its feature off (the app treats an empty setting as unset).
@secure()
param openRouterApiKey string = ''
@secure()
param stripeSecretKey string = ''
@secure()
param stripeWebhookSecret string = ''
@secure()
param googleClientSecret string = ''
@secure()
param microsoftClientSecret string = ''
@secure()
param azureOpenAiApiKey string = ''
@secure()
param embeddingsApiKey string = ''
@secure()
@description('MongoDB Atlas connection string (mongodb+srv://…), with vectorStore=mongodb.')
param mongodbUri string = ''

@description('Google sign-in client id (the secret is googleClientSecret). Empty: Google sign-in is off.')
param googleClientId string = ''

@description('Microsoft sign-in client id (the secret is microsoftClientSecret). Empty: Microsoft sign-in is off.')
param microsoftClientId string = ''

@description('Azure OpenAI endpoint for embeddings (https://<name>.openai.azure.com). Empty: the next configured embedder.')
param azureOpenAiEndpoint string = ''

@description('Any other configuration key of local.settings.example.json, e.g. { "PRICE_MARKUP": "3" }: merged over the defaults (never for secrets).')
param appSettingOverrides object = {}

var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = { 'azd-env-name': environmentName }

// Every queue the code declares (shared/contracts/jobs.ts) and its -poison twin, where the host
// moves a message after five failed tries; test/infra checks this list against the code.
var queueNames = [
  'conversation-titles'
  'conversation-titles-poison'
  'memory-extract'
  'memory-extract-poison'
]

// Every blob container the code writes to or triggers on (documents and images the app stores,
// inbox for blob-drop); test/infra checks this list against the code.
var containerNames = [
  'documents'
  'images'
  'inbox'
]

var secrets = {
  'openrouter-api-key': openRouterApiKey
  'stripe-secret-key': stripeSecretKey
  'stripe-webhook-secret': stripeWebhookSecret
  'google-client-secret': googleClientSecret
  'microsoft-client-secret': microsoftClientSecret
  'azure-openai-api-key': azureOpenAiApiKey
  'embeddings-api-key': embeddingsApiKey
  'mongodb-uri': mongodbUri
}

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: 'rg-${environmentName}'
  location: location
  tags: tags
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    location: location
    tags: tags
    resourceToken: resourceToken
  }
}

module frontDoor 'modules/front-door-profile.bicep' = {
  name: 'front-door-profile'
  scope: rg
  params: {
    tags: tags
    resourceToken: resourceToken
  }
}

var origin = empty(publicBaseUrl) ? 'https://${frontDoor.outputs.endpointHostName}' : publicBaseUrl

module storage 'modules/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    location: location
    tags: tags
    resourceToken: resourceToken
    queueNames: queueNames
    containerNames: containerNames
    uploadOrigins: [origin]
  }
}

module postgres 'modules/postgres.bicep' = {
  name: 'postgres'
  scope: rg
  params: {
    location: location
    tags: tags
    resourceToken: resourceToken
  }
}

module durable 'modules/durable-task-scheduler.bicep' = if (durableBackend == 'dts') {
  name: 'durable-task-scheduler'
  scope: rg
  params: {
    location: location
    tags: tags
    resourceToken: resourceToken
  }
}

module keyVault 'modules/key-vault.bicep' = {
  name: 'key-vault'
  scope: rg
  params: {
    location: location
    tags: tags
    resourceToken: resourceToken
    secrets: secrets
  }
}

module functionApp 'modules/function-app.bicep' = {
  name: 'function-app'
  scope: rg
  params: {
    location: location
    tags: tags
    resourceToken: resourceToken
    httpAlwaysReady: httpAlwaysReady
    instanceMemoryMB: instanceMemoryMB
    maximumInstanceCount: maximumInstanceCount
    databasePoolMax: databasePoolMax
    httpPerInstanceConcurrency: httpPerInstanceConcurrency
    storageAccountName: storage.outputs.name
    storageBlobEndpoint: storage.outputs.blobEndpoint
    deploymentContainerName: storage.outputs.deploymentContainerName
    postgresHost: postgres.outputs.host
    postgresDatabaseName: postgres.outputs.databaseName
    keyVaultName: keyVault.outputs.name
    configuredSecrets: filter(objectKeys(secrets), name => !empty(secrets[name]))
    applicationInsightsConnectionString: monitoring.outputs.applicationInsightsConnectionString
    frontDoorId: frontDoor.outputs.frontDoorId
    publicBaseUrl: origin
    durableBackend: durableBackend
    durableTaskSchedulerEndpoint: durableBackend == 'dts' ? durable!.outputs.endpoint : ''
    durableTaskHubName: durableBackend == 'dts' ? durable!.outputs.taskHubName : ''
    vectorStore: vectorStore
    googleClientId: googleClientId
    microsoftClientId: microsoftClientId
    azureOpenAiEndpoint: azureOpenAiEndpoint
    appSettingOverrides: appSettingOverrides
  }
}

module access 'modules/access.bicep' = {
  name: 'access'
  scope: rg
  params: {
    appPrincipalId: functionApp.outputs.principalId
    deployerPrincipalId: principalId
    deployerPrincipalType: principalType
    storageAccountName: storage.outputs.name
    keyVaultName: keyVault.outputs.name
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    durableTaskSchedulerName: durableBackend == 'dts' ? durable!.outputs.name : ''
    durableStorageBackend: durableBackend == 'storage'
  }
}

module postgresIdentity 'modules/postgres-app-identity.bicep' = {
  name: 'postgres-app-identity'
  scope: rg
  params: {
    serverName: postgres.outputs.name
    appName: functionApp.outputs.name
    appPrincipalId: functionApp.outputs.principalId
    deployerPrincipalId: empty(postgresAdminPrincipalName) ? '' : principalId
    deployerPrincipalName: postgresAdminPrincipalName
    deployerPrincipalType: principalType
  }
}

module frontDoorRoutes 'modules/front-door-routes.bicep' = {
  name: 'front-door-routes'
  scope: rg
  params: {
    profileName: frontDoor.outputs.profileName
    endpointName: frontDoor.outputs.endpointName
    functionAppHostName: functionApp.outputs.defaultHostName
    staticWebsiteHostName: storage.outputs.staticWebsiteHostName
    apiHealthProbeIntervalSeconds: apiHealthProbeIntervalSeconds
  }
}

// azd stores these in the environment; the postprovision hook (scripts/deploy.ts) reads them.
output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name
output AZURE_FUNCTION_APP_HOSTNAME string = functionApp.outputs.defaultHostName
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name
output AZURE_STORAGE_BLOB_ENDPOINT string = storage.outputs.blobEndpoint
output AZURE_EVENT_GRID_SYSTEM_TOPIC string = storage.outputs.eventGridSystemTopicName
output AZURE_KEY_VAULT_NAME string = keyVault.outputs.name
output AZURE_POSTGRES_HOST string = postgres.outputs.host
output PUBLIC_BASE_URL string = origin
@description('The deploy script packages a host.json for this backend.')
output DURABLE_BACKEND string = durableBackend
