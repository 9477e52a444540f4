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

const email = z
  .string()
  .trim()
  .toLowerCase()
  .max(254)
  .pipe(z.email({ message: 'email must be a valid address' }));

export const registerBody = z.object({
  email,
  password: z
    .string()
    .min(8, 'password must be at least 8 characters')
    .max(256, 'password must be at most 256 characters'),
  name: z.string().trim().min(1).max(100).optional(),
});
export type RegisterBody = z.infer<typeof registerBody>;

export const loginBody = z.object({
  email: z.string().trim().toLowerCase().min(1).max(254),
  password: z.string().min(1).max(256),
});
export type LoginBody = z.infer<typeof loginBody>;

export const sessionResponse = z.object({ user, csrfToken: z.string() });
export type SessionResponse = z.infer<typeof sessionResponse>;

export const settingsBody = z
  .object({
    memoryEnabled: z.boolean().optional(),
    name: z.string().trim().min(1).max(100).nullable().optional(),
  })
  .strict();
export type SettingsBody = z.infer<typeof settingsBody>;
