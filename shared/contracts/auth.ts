import { z } from 'zod';

export const user = z.object({
  id: z.string(),
  email: z.string(),
  name: z.string().nullable(),
  credits: z.number().int(),
  memoryEnabled: z.boolean(),
  createdAt: z.string(),
});
export type User = z.infer<typeof user>;

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

export const settingsBody = z
  .object({
    memoryEnabled: z.boolean().optional(),
    name: displayName.nullable().optional(),
  })
  .strict();
export type SettingsBody = z.infer<typeof settingsBody>;
