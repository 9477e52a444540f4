import { z } from 'zod';

export const user = z.object({
  id: z.string(),
  email: z.string(),
  name: z.string().nullable(),
  credits: z.number().int(),
  memoryEnabled: z.boolean(),
  /** A reply whose hold would take this calendar month's (UTC) usage past this is refused (402). */
  monthlySpendCapCredits: z.number().int().nullable(),
  /** The web app warns when the balance falls below this. */
  lowBalanceCredits: z.number().int().nullable(),
  /** How the account can sign in: `password` when it has one, then each linked provider. */
  identities: z.array(z.enum(['password', 'google', 'microsoft'])),
  createdAt: z.string(),
});
export type User = z.infer<typeof user>;

/** The sign-in providers besides the password. */
export const oauthProviderIds = ['google', 'microsoft'] as const;
export const oauthProviderId = z.enum(oauthProviderIds);
export type OAuthProviderId = z.infer<typeof oauthProviderId>;

/** `GET /api/auth/providers`: only the configured ones are listed. */
export const providersResponse = z.object({
  password: z.literal(true),
  providers: z.array(z.object({ id: oauthProviderId, name: z.string() })),
});
export type ProvidersResponse = z.infer<typeof providersResponse>;

/**
 * Why a provider sign-in came back to `/?authError=<code>` without a session. `already_linked`:
 * signed in, the provider account belongs to another of our accounts (it is not moved).
 */
export const authErrorCodes = [
  'state_mismatch',
  'invalid_token',
  'email_unverified',
  'denied',
  'provider_error',
  'already_linked',
] as const;
export type AuthErrorCode = (typeof authErrorCodes)[number];

/** `GET /api/auth/{provider}?returnTo=`: anything but a same-origin path is ignored, not refused. */
export const oauthStartQuery = z.object({ returnTo: z.string().optional() });

/** What the provider sends back to the callback; every field is checked by the core. */
export const oauthCallbackQuery = z.object({
  code: z.string().max(4096).optional(),
  state: z.string().max(512).optional(),
  error: z.string().max(256).optional(),
});
export type OAuthCallbackQuery = z.infer<typeof oauthCallbackQuery>;

/**
 * What an email address is, for the server and the web app's forms alike: trimmed, lower-cased,
 * at most 254 characters (RFC 5321's limit for a path), and shaped like name@example.com. Every
 * message says what to change.
 */
export const emailAddress = z
  .string({ error: 'Enter your email address.' })
  .trim()
  .toLowerCase()
  .min(1, 'Enter your email address.')
  .max(254, 'Enter an email address of at most 254 characters.')
  .pipe(z.email({ error: 'Enter an email address like name@example.com.' }));

export const passwordPolicy = { minLength: 8, maxLength: 256 } as const;

/** A new password: long enough to resist guessing, short enough to hash without a denial of service. */
export const newPassword = z
  .string({ error: 'Choose a password.' })
  .min(
    passwordPolicy.minLength,
    `Choose a password of at least ${passwordPolicy.minLength} characters; a few words make a good one.`,
  )
  .max(passwordPolicy.maxLength, `Choose a password of at most ${passwordPolicy.maxLength} characters.`);

const displayName = z
  .string({ error: 'Enter your name as text.' })
  .trim()
  .min(1, 'Enter a name, or leave the field out.')
  .max(100, 'Enter a name of at most 100 characters.');

export const registerBody = z.object({
  email: emailAddress,
  password: newPassword,
  name: displayName.optional(),
});
export type RegisterBody = z.infer<typeof registerBody>;

/**
 * Sign-in is lenient about the email's shape on purpose: an address that is not a valid one has
 * no account, and the answer for it is the same 401 as for a wrong password.
 */
export const loginBody = z.object({
  email: z
    .string({ error: 'Enter your email address.' })
    .trim()
    .toLowerCase()
    .min(1, 'Enter your email address.')
    .max(254, 'Enter an email address of at most 254 characters.'),
  password: z
    .string({ error: 'Enter your password.' })
    .min(1, 'Enter your password.')
    .max(passwordPolicy.maxLength, `A password has at most ${passwordPolicy.maxLength} characters.`),
});
export type LoginBody = z.infer<typeof loginBody>;

export const sessionResponse = z.object({ user, csrfToken: z.string() });
export type SessionResponse = z.infer<typeof sessionResponse>;

const currentPassword = z
  .string({ error: 'Enter your current password.' })
  .min(1, 'Enter your current password.')
  .max(passwordPolicy.maxLength, `A password has at most ${passwordPolicy.maxLength} characters.`);

/**
 * `POST /api/auth/password`: sets a password on an account that has none (then `currentPassword`
 * is not asked for), or changes it (then it is).
 */
export const passwordBody = z.object({ currentPassword: currentPassword.optional(), newPassword }).strict();
export type PasswordBody = z.infer<typeof passwordBody>;

/** `DELETE /api/account`: the password is needed exactly when the account has one. */
export const deleteAccountBody = z.object({ password: currentPassword.optional() }).strict();
export type DeleteAccountBody = z.infer<typeof deleteAccountBody>;

export const settingsBody = z
  .object({
    memoryEnabled: z.boolean().optional(),
    name: displayName.nullable().optional(),
    monthlySpendCapCredits: z
      .number()
      .int('The spending cap is a whole number of credits.')
      .min(0, 'The spending cap cannot be negative.')
      .max(10_000_000_000, 'That spending cap is larger than any balance can be.')
      .nullable()
      .optional(),
    lowBalanceCredits: z
      .number()
      .int('The low-balance warning is a whole number of credits.')
      .min(0, 'The low-balance warning cannot be negative.')
      .max(10_000_000_000, 'That warning level is larger than any balance can be.')
      .nullable()
      .optional(),
  })
  .strict();
export type SettingsBody = z.infer<typeof settingsBody>;
