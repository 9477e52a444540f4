// Logs and traces: a Log Analytics workspace and the workspace-based Application Insights the
// Functions host sends requests, traces and dependencies to. Local (key) auth is off: the app
// authenticates with its identity (APPLICATIONINSIGHTS_AUTHENTICATION_STRING), so the connection
// string in the app settings grants nothing by itself.
param location string
param tags object
param resourceToken string

@description('Days Log Analytics keeps data (30 is included in the ingestion price).')
param retentionInDays int = 30

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: 'log-${resourceToken}'
  location: location
  tags: tags
  properties: {
    sku: { name: 'PerGB2018' }
    retentionInDays: retentionInDays
  }
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: 'appi-${resourceToken}'
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: workspace.id
    DisableLocalAuth: true
  }
}

output applicationInsightsName string = appInsights.name
output applicationInsightsConnectionString string = appInsights.properties.ConnectionString
