// The Durable Task Scheduler (Consumption SKU: billed per action, nothing while idle) and the task
// hub the ingestion orchestrations run in. Chosen by durableBackend = 'dts' in main.bicep; the app
// points its Durable extension here through app settings (function-app.bicep).
param location string
param tags object
param resourceToken string
param taskHubName string = 'gloriamundo'

resource scheduler 'Microsoft.DurableTask/schedulers@2025-11-01' = {
  name: 'dts-${resourceToken}'
  location: location
  tags: tags
  properties: {
    sku: { name: 'Consumption' }
    // Access is by identity (Durable Task Data Contributor); an empty list would refuse everyone.
    ipAllowlist: ['0.0.0.0/0']
  }
}

resource taskHub 'Microsoft.DurableTask/schedulers/taskHubs@2025-11-01' = {
  parent: scheduler
  name: taskHubName
}

output name string = scheduler.name
output endpoint string = scheduler.properties.endpoint
output taskHubName string = taskHub.name
