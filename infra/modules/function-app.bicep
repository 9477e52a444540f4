// The Function App on Flex Consumption (Node 22, system-assigned identity), with an app setting
// for every configuration key the app reads: the defaults of local.settings.example.json (the
// file a test keeps equal to shared/config.ts), then the operator's overrides, then what Azure
// decides: the one origin, the client address header, storage and PostgreSQL as the app's own
// identity (no account key, no database password), and every secret as a Key Vault reference.
param location string
param tags object
param resourceToken string
param httpAlwaysReady int
param instanceMemoryMB int
param maximumInstanceCount int

@description('PostgreSQL connections each instance may hold (DB_POOL_MAX).')
param databasePoolMax int

@description('Concurrent HTTP requests (a streamed reply is one for its whole length) each instance takes before the platform adds one.')
param httpPerInstanceConcurrency int

@description('The app\'s storage account, reached with its identity (AzureWebJobsStorage__accountName).')
param storageAccountName string
param storageBlobEndpoint string
param deploymentContainerName string
param keyVaultName string

@description('The PostgreSQL server\'s host name; the app signs in to it as its identity, with Entra tokens.')
param postgresHost string
param postgresDatabaseName string

@description('Names of the optional Key Vault secrets that were given a value.')
param configuredSecrets array

param applicationInsightsConnectionString string
param frontDoorId string
param publicBaseUrl string

@allowed(['dts', 'storage'])
param durableBackend string
param durableTaskSchedulerEndpoint string
param durableTaskHubName string

param vectorStore string
param googleClientId string
param microsoftClientId string
param azureOpenAiEndpoint string
param appSettingOverrides object

func keyVaultReference(vaultName string, secretName string) string => '@Microsoft.KeyVault(VaultName=${vaultName};SecretName=${secretName})'

// An optional secret that was not given is an empty setting: the app reads empty as unset.
func optionalSecret(vaultName string, secretName string, configured array) string => contains(configured, secretName) ? keyVaultReference(vaultName, secretName) : ''

// Keys of local.settings.example.json that are not app settings in Azure: the worker runtime is
// functionAppConfig.runtime on Flex (the setting is refused there), PORT and DATA_DIR belong to
// the local host, and the platform sets WEBSITE_INSTANCE_ID on every instance itself. The storage
// connection's keys are left out too: the example's is Azurite's connection string, and Azure's
// identity settings (azureSettings) name only the ones that apply rather than leave empty ones
// (an empty __clientId or __blobServiceUri) for the host to interpret.
var localOnlyKeys = [
  'FUNCTIONS_WORKER_RUNTIME'
  'AzureWebJobsFeatureFlags'
  'PORT'
  'DATA_DIR'
  'WEBSITE_INSTANCE_ID'
  'AzureWebJobsStorage'
  'AzureWebJobsStorage__blobServiceUri'
  'AzureWebJobsStorage__queueServiceUri'
  'AzureWebJobsStorage__clientId'
]

// The Entra user the database knows the app as (postgres-app-identity.bicep names it after the app).
var appName = 'func-${resourceToken}'

var exampleSettings = loadJsonContent('../../local.settings.example.json').Values
var defaults = toObject(
  filter(items(exampleSettings), setting => !contains(localOnlyKeys, setting.key)),
  setting => setting.key,
  setting => setting.value
)

var azureSettings = {
  PUBLIC_BASE_URL: publicBaseUrl
  // Front Door puts the caller's address here; the app admits only Front Door (ipSecurityRestrictions
  // below), so no client can choose it.
  CLIENT_IP_HEADER: 'X-Azure-ClientIP'
  // No password: each new connection signs in with an Entra token for the app's identity.
  DATABASE_URL: 'postgresql://${appName}@${postgresHost}:5432/${postgresDatabaseName}?sslmode=verify-full'
  DATABASE_AUTH: 'entra'
  DB_POOL_MAX: string(databasePoolMax)
  // Identity-based, for the Functions host (triggers, Durable's storage backend) and the app alike;
  // the system-assigned identity holds the storage roles (access.bicep).
  AzureWebJobsStorage__accountName: storageAccountName
  AzureWebJobsStorage__credential: 'managedidentity'
  OPENROUTER_API_KEY: optionalSecret(keyVaultName, 'openrouter-api-key', configuredSecrets)
  STRIPE_SECRET_KEY: optionalSecret(keyVaultName, 'stripe-secret-key', configuredSecrets)
  STRIPE_WEBHOOK_SECRET: optionalSecret(keyVaultName, 'stripe-webhook-secret', configuredSecrets)
  GOOGLE_CLIENT_ID: googleClientId
  GOOGLE_CLIENT_SECRET: optionalSecret(keyVaultName, 'google-client-secret', configuredSecrets)
  MICROSOFT_CLIENT_ID: microsoftClientId
  MICROSOFT_CLIENT_SECRET: optionalSecret(keyVaultName, 'microsoft-client-secret', configuredSecrets)
  AZURE_OPENAI_ENDPOINT: azureOpenAiEndpoint
  AZURE_OPENAI_API_KEY: optionalSecret(keyVaultName, 'azure-openai-api-key', configuredSecrets)
  EMBEDDINGS_API_KEY: optionalSecret(keyVaultName, 'embeddings-api-key', configuredSecrets)
  VECTOR_STORE: vectorStore
  MONGODB_URI: optionalSecret(keyVaultName, 'mongodb-uri', configuredSecrets)
  APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsightsConnectionString
  // Local auth is off on Application Insights: telemetry is sent with the app's identity.
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'Authorization=AAD'
}

// host.json names the Azure Storage backend, which `func start` and the local host use; with the
// scheduler chosen, the deploy script packages a host.json naming it (scripts/function-package.ts),
// which reads these two settings.
var durableTaskSchedulerSettings = durableBackend == 'dts'
  ? {
      DURABLE_TASK_SCHEDULER_CONNECTION_STRING: 'Endpoint=${durableTaskSchedulerEndpoint};Authentication=ManagedIdentity'
      TASKHUB_NAME: durableTaskHubName
    }
  : {}

var appSettings = union(defaults, appSettingOverrides, azureSettings, durableTaskSchedulerSettings)

module plan 'br/public:avm/res/web/serverfarm:0.7.0' = {
  name: 'plan'
  params: {
    name: 'plan-${resourceToken}'
    location: location
    tags: tags
    skuName: 'FC1'
    kind: 'functionapp'
    reserved: true
    zoneRedundant: false
  }
}

module site 'br/public:avm/res/web/site:0.24.0' = {
  name: 'site'
  params: {
    name: appName
    location: location
    // azd and the deploy script find the app by this tag.
    tags: union(tags, { 'azd-service-name': 'api' })
    kind: 'functionapp,linux'
    serverFarmResourceId: plan.outputs.resourceId
    managedIdentities: {
      systemAssigned: true
    }
    httpsOnly: true
    clientAffinityEnabled: false
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storageBlobEndpoint}${deploymentContainerName}'
          authentication: {
            type: 'SystemAssignedIdentity'
          }
        }
      }
      scaleAndConcurrency: {
        instanceMemoryMB: instanceMemoryMB
        maximumInstanceCount: maximumInstanceCount
        // The 'http' group is every HTTP function; blob, queue and durable triggers start on demand.
        alwaysReady: httpAlwaysReady > 0 ? [{ name: 'http', instanceCount: httpAlwaysReady }] : []
        // Set, not left to follow instanceMemoryMB: it is the streams one instance relays at once,
        // the figure `npm run bench` measures (README, Capacity).
        triggers: { http: { perInstanceConcurrency: httpPerInstanceConcurrency } }
      }
      runtime: {
        name: 'node'
        version: '22'
      }
    }
    siteConfig: {
      alwaysOn: false
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
      // One origin: only Front Door (carrying this profile's id) and Event Grid's blob-trigger
      // deliveries reach the app. The deployment site (scm) keeps its own rules: Entra ID only.
      ipSecurityRestrictionsDefaultAction: 'Deny'
      ipSecurityRestrictions: [
        {
          name: 'front-door'
          action: 'Allow'
          priority: 100
          tag: 'ServiceTag'
          ipAddress: 'AzureFrontDoor.Backend'
          headers: {
            'x-azure-fdid': [frontDoorId]
          }
        }
        {
          name: 'event-grid'
          action: 'Allow'
          priority: 200
          tag: 'ServiceTag'
          ipAddress: 'AzureEventGrid'
        }
      ]
      scmIpSecurityRestrictionsUseMain: false
      scmIpSecurityRestrictionsDefaultAction: 'Allow'
    }
    configs: [
      {
        name: 'appsettings'
        // This file is the whole list: a setting dropped here (the scheduler's, after switching to
        // the storage backend) must leave the app too, as must one set by hand.
        retainCurrentAppSettings: false
        properties: appSettings
      }
    ]
    basicPublishingCredentialsPolicies: [
      { name: 'ftp', allow: false }
      { name: 'scm', allow: false }
    ]
  }
}

output name string = site.outputs.name
output defaultHostName string = site.outputs.defaultHostname
output principalId string = site.outputs.systemAssignedMIPrincipalId!
