import { DefaultAzureCredential, ManagedIdentityCredential, type TokenCredential } from '@azure/identity';

/** The settings that say which identity the app signs in as (storage and, with DATABASE_AUTH=entra, PostgreSQL). */
export interface IdentitySettings {
  AzureWebJobsStorage__credential?: 'managedidentity';
  AzureWebJobsStorage__clientId?: string;
}

export type CredentialChoice = { kind: 'managed-identity'; clientId?: string } | { kind: 'default-chain' };

/**
 * The same choice the Functions host makes for these settings: `managedidentity` is the app's
 * managed identity alone (a user-assigned one by client id, else the system-assigned one), which
 * skips the chain's other attempts on every cold start; otherwise DefaultAzureCredential, so a
 * developer's `az login` works against real Azure resources too.
 */
export function credentialChoice(settings: IdentitySettings): CredentialChoice {
  return settings.AzureWebJobsStorage__credential === 'managedidentity'
    ? { kind: 'managed-identity', clientId: settings.AzureWebJobsStorage__clientId }
    : { kind: 'default-chain' };
}

export function appCredential(settings: IdentitySettings): TokenCredential {
  const choice = credentialChoice(settings);
  if (choice.kind === 'default-chain') return new DefaultAzureCredential();
  return choice.clientId
    ? new ManagedIdentityCredential({ clientId: choice.clientId })
    : new ManagedIdentityCredential();
}
