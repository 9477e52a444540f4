// One origin for people: /api/* goes to the Function App, everything else to the static website
// ($web). The web route carries the SPA's headers, the same the local host sends (dev/host/static.ts,
// which a test compares with this file): security headers on every response, hashed assets/*
// immutable, everything else revalidated, and extension-less paths (client-side routes such as
// /c/123) answered with index.html.
param profileName string
param endpointName string
param functionAppHostName string
param staticWebsiteHostName string

@description('Seconds between GET /api/health probes; 0: no probes.')
param apiHealthProbeIntervalSeconds int

var contentSecurityPolicy = 'default-src \'self\'; script-src \'self\'; style-src \'self\'; img-src \'self\' data: blob:; connect-src \'self\'; frame-ancestors \'none\'; base-uri \'none\'; form-action \'self\'; object-src \'none\''
var assetCacheControl = 'public, max-age=31536000, immutable'
var revalidateCacheControl = 'no-cache'

resource profile 'Microsoft.Cdn/profiles@2024-09-01' existing = {
  name: profileName
}

resource endpoint 'Microsoft.Cdn/profiles/afdEndpoints@2024-09-01' existing = {
  parent: profile
  name: endpointName
}

resource apiOrigins 'Microsoft.Cdn/profiles/originGroups@2024-09-01' = {
  parent: profile
  name: 'api'
  properties: {
    loadBalancingSettings: {
      sampleSize: 4
      successfulSamplesRequired: 3
      additionalLatencyInMilliseconds: 50
    }
    // /api/health answers 200 when the database and storage answer, 503 otherwise.
    healthProbeSettings: apiHealthProbeIntervalSeconds > 0
      ? {
          probePath: '/api/health'
          probeRequestType: 'GET'
          probeProtocol: 'Https'
          probeIntervalInSeconds: apiHealthProbeIntervalSeconds
        }
      : null
    sessionAffinityState: 'Disabled'
  }
}

resource functionAppOrigin 'Microsoft.Cdn/profiles/originGroups/origins@2024-09-01' = {
  parent: apiOrigins
  name: 'function-app'
  properties: {
    hostName: functionAppHostName
    originHostHeader: functionAppHostName
    httpPort: 80
    httpsPort: 443
    priority: 1
    weight: 1000
    enabledState: 'Enabled'
    enforceCertificateNameCheck: true
  }
}

resource webOrigins 'Microsoft.Cdn/profiles/originGroups@2024-09-01' = {
  parent: profile
  name: 'web'
  properties: {
    loadBalancingSettings: {
      sampleSize: 4
      successfulSamplesRequired: 3
      additionalLatencyInMilliseconds: 50
    }
    sessionAffinityState: 'Disabled'
  }
}

resource staticWebsiteOrigin 'Microsoft.Cdn/profiles/originGroups/origins@2024-09-01' = {
  parent: webOrigins
  name: 'static-website'
  properties: {
    hostName: staticWebsiteHostName
    originHostHeader: staticWebsiteHostName
    httpPort: 80
    httpsPort: 443
    priority: 1
    weight: 1000
    enabledState: 'Enabled'
    enforceCertificateNameCheck: true
  }
}

resource webRules 'Microsoft.Cdn/profiles/ruleSets@2024-09-01' = {
  parent: profile
  name: 'web'
}

resource securityHeaders 'Microsoft.Cdn/profiles/ruleSets/rules@2024-09-01' = {
  parent: webRules
  name: 'securityHeaders'
  properties: {
    order: 1
    conditions: []
    actions: [
      {
        name: 'ModifyResponseHeader'
        parameters: {
          typeName: 'DeliveryRuleHeaderActionParameters'
          headerAction: 'Overwrite'
          headerName: 'Content-Security-Policy'
          value: contentSecurityPolicy
        }
      }
      {
        name: 'ModifyResponseHeader'
        parameters: {
          typeName: 'DeliveryRuleHeaderActionParameters'
          headerAction: 'Overwrite'
          headerName: 'X-Frame-Options'
          value: 'DENY'
        }
      }
      {
        name: 'ModifyResponseHeader'
        parameters: {
          typeName: 'DeliveryRuleHeaderActionParameters'
          headerAction: 'Overwrite'
          headerName: 'X-Content-Type-Options'
          value: 'nosniff'
        }
      }
      {
        name: 'ModifyResponseHeader'
        parameters: {
          typeName: 'DeliveryRuleHeaderActionParameters'
          headerAction: 'Overwrite'
          headerName: 'Referrer-Policy'
          value: 'strict-origin-when-cross-origin'
        }
      }
    ]
    matchProcessingBehavior: 'Continue'
  }
}

// A path without a file extension is a client-side route: the app shell answers it, as the local
// host's fallback does (static.ts), with 200 rather than the static website's 404 error document.
resource spaFallback 'Microsoft.Cdn/profiles/ruleSets/rules@2024-09-01' = {
  parent: webRules
  name: 'spaFallback'
  properties: {
    order: 2
    conditions: [
      {
        name: 'UrlFileExtension'
        parameters: {
          typeName: 'DeliveryRuleUrlFileExtensionMatchConditionParameters'
          operator: 'Any'
          negateCondition: true
          matchValues: []
        }
      }
    ]
    actions: [
      {
        name: 'UrlRewrite'
        parameters: {
          typeName: 'DeliveryRuleUrlRewriteActionParameters'
          sourcePattern: '/'
          destination: '/index.html'
          preserveUnmatchedPath: false
        }
      }
      {
        name: 'ModifyResponseHeader'
        parameters: {
          typeName: 'DeliveryRuleHeaderActionParameters'
          headerAction: 'Overwrite'
          headerName: 'Cache-Control'
          value: revalidateCacheControl
        }
      }
    ]
    matchProcessingBehavior: 'Continue'
  }
}

// Files under assets/ carry a content hash in their names. Only files: assets/unknown-route has no
// extension, is answered with index.html above, and must never be cached for a year.
resource hashedAssets 'Microsoft.Cdn/profiles/ruleSets/rules@2024-09-01' = {
  parent: webRules
  name: 'hashedAssets'
  properties: {
    order: 3
    conditions: [
      {
        name: 'UrlPath'
        parameters: {
          typeName: 'DeliveryRuleUrlPathMatchConditionParameters'
          operator: 'BeginsWith'
          negateCondition: false
          // Front Door matches the path without its leading slash.
          matchValues: ['assets/']
          transforms: []
        }
      }
      {
        name: 'UrlFileExtension'
        parameters: {
          typeName: 'DeliveryRuleUrlFileExtensionMatchConditionParameters'
          operator: 'Any'
          negateCondition: false
          matchValues: []
        }
      }
    ]
    actions: [
      {
        name: 'ModifyResponseHeader'
        parameters: {
          typeName: 'DeliveryRuleHeaderActionParameters'
          headerAction: 'Overwrite'
          headerName: 'Cache-Control'
          value: assetCacheControl
        }
      }
      {
        name: 'RouteConfigurationOverride'
        parameters: {
          typeName: 'DeliveryRuleRouteConfigurationOverrideActionParameters'
          cacheConfiguration: {
            cacheBehavior: 'OverrideAlways'
            cacheDuration: '365.00:00:00'
            queryStringCachingBehavior: 'IgnoreQueryString'
            isCompressionEnabled: 'Enabled'
          }
        }
      }
    ]
    matchProcessingBehavior: 'Continue'
  }
}

// index.html, the service worker, the manifest, icons: not content-hashed, so always revalidated
// (a new build shows up on the next load).
resource revalidateOthers 'Microsoft.Cdn/profiles/ruleSets/rules@2024-09-01' = {
  parent: webRules
  name: 'revalidateOthers'
  properties: {
    order: 4
    conditions: [
      {
        name: 'UrlPath'
        parameters: {
          typeName: 'DeliveryRuleUrlPathMatchConditionParameters'
          operator: 'BeginsWith'
          negateCondition: true
          matchValues: ['assets/']
          transforms: []
        }
      }
    ]
    actions: [
      {
        name: 'ModifyResponseHeader'
        parameters: {
          typeName: 'DeliveryRuleHeaderActionParameters'
          headerAction: 'Overwrite'
          headerName: 'Cache-Control'
          value: revalidateCacheControl
        }
      }
    ]
    matchProcessingBehavior: 'Continue'
  }
}

resource apiRoute 'Microsoft.Cdn/profiles/afdEndpoints/routes@2024-09-01' = {
  parent: endpoint
  name: 'api'
  properties: {
    originGroup: { id: apiOrigins.id }
    patternsToMatch: ['/api/*']
    supportedProtocols: ['Http', 'Https']
    httpsRedirect: 'Enabled'
    forwardingProtocol: 'HttpsOnly'
    linkToDefaultDomain: 'Enabled'
    enabledState: 'Enabled'
    // No cacheConfiguration: nothing under /api is cached or compressed at the edge, so a streamed
    // reply (text/event-stream) passes through as it is written.
    ruleSets: []
  }
  dependsOn: [functionAppOrigin]
}

resource webRoute 'Microsoft.Cdn/profiles/afdEndpoints/routes@2024-09-01' = {
  parent: endpoint
  name: 'web'
  properties: {
    originGroup: { id: webOrigins.id }
    patternsToMatch: ['/*']
    supportedProtocols: ['Http', 'Https']
    httpsRedirect: 'Enabled'
    forwardingProtocol: 'HttpsOnly'
    linkToDefaultDomain: 'Enabled'
    enabledState: 'Enabled'
    ruleSets: [{ id: webRules.id }]
    cacheConfiguration: {
      // The blobs carry their own Cache-Control (scripts/web-upload.ts), which Front Door honours.
      queryStringCachingBehavior: 'IgnoreQueryString'
      compressionSettings: {
        isCompressionEnabled: true
        contentTypesToCompress: [
          'text/html'
          'text/css'
          'text/javascript'
          'application/javascript'
          'application/json'
          'application/manifest+json'
          'image/svg+xml'
        ]
      }
    }
  }
  dependsOn: [staticWebsiteOrigin, securityHeaders, spaFallback, hashedAssets, revalidateOthers]
}
