// The Front Door profile and its endpoint: the one origin people use. Its routes (which need the
// Function App's host name) are in front-door-routes.bicep, so the app's settings can name this
// endpoint (PUBLIC_BASE_URL) and its id (the access restriction) without a cycle.
param tags object
param resourceToken string

resource profile 'Microsoft.Cdn/profiles@2024-09-01' = {
  name: 'afd-${resourceToken}'
  location: 'global'
  tags: tags
  sku: { name: 'Standard_AzureFrontDoor' }
  properties: {
    // A streamed reply runs up to STREAM_DEADLINE_SECONDS (220 s, under Azure's 230 s): the default
    // 60 s would cut it off. 240 is the most Front Door allows.
    originResponseTimeoutSeconds: 240
  }
}

resource endpoint 'Microsoft.Cdn/profiles/afdEndpoints@2024-09-01' = {
  parent: profile
  name: 'gm-${resourceToken}'
  location: 'global'
  tags: tags
  properties: {
    enabledState: 'Enabled'
  }
}

output profileName string = profile.name
output endpointName string = endpoint.name
output endpointHostName string = endpoint.properties.hostName
@description('Front Door sends it as X-Azure-FDID; the Function App admits only requests carrying it.')
output frontDoorId string = profile.properties.frontDoorId
