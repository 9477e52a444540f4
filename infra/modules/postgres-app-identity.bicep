// The Function App's identity as a Microsoft Entra administrator of the database server: the app
// signs in as it (DATABASE_AUTH=entra, a token per new connection) and its start-up migrations
// create the schema and the vector extension, which takes azure_pg_admin. Optionally whoever runs
// azd too, to reach the database with `psql` and an Entra token.
param serverName string
param appName string
param appPrincipalId string

@description('Object id of a person or pipeline to make an administrator too; empty: none.')
param deployerPrincipalId string = ''

@description('Their sign-in name (UPN) or the service principal\'s display name.')
param deployerPrincipalName string = ''

@allowed(['User', 'ServicePrincipal'])
param deployerPrincipalType string = 'User'

resource server 'Microsoft.DBforPostgreSQL/flexibleServers@2024-08-01' existing = {
  name: serverName
}

resource appUser 'Microsoft.DBforPostgreSQL/flexibleServers/administrators@2024-08-01' = {
  parent: server
  name: appPrincipalId
  properties: {
    principalType: 'ServicePrincipal'
    // The database role's name, which is the user in the app's DATABASE_URL (function-app.bicep).
    principalName: appName
    tenantId: tenant().tenantId
  }
}

// The server takes one administrator change at a time.
resource deployerUser 'Microsoft.DBforPostgreSQL/flexibleServers/administrators@2024-08-01' = if (!empty(deployerPrincipalId) && !empty(deployerPrincipalName)) {
  parent: server
  name: deployerPrincipalId
  properties: {
    principalType: deployerPrincipalType
    principalName: deployerPrincipalName
    tenantId: tenant().tenantId
  }
  dependsOn: [appUser]
}
