// The Function App's identity as a Microsoft Entra user of the database server, so the app can
// move to token authentication without a change here (today it connects with DATABASE_URL).
param serverName string
param appName string
param appPrincipalId string

resource server 'Microsoft.DBforPostgreSQL/flexibleServers@2024-08-01' existing = {
  name: serverName
}

resource appUser 'Microsoft.DBforPostgreSQL/flexibleServers/administrators@2024-08-01' = {
  parent: server
  name: appPrincipalId
  properties: {
    principalType: 'ServicePrincipal'
    principalName: appName
    tenantId: tenant().tenantId
  }
}
