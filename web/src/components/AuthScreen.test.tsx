import { cleanup, fireEvent, render, screen } from '@testing-library/preact';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { api, ApiError } from '../api';
import { SessionProvider } from '../session';
import { AuthScreen } from './AuthScreen';

beforeEach(() => {
  vi.spyOn(api, 'session').mockRejectedValue(new ApiError(401, 'unauthenticated', 'Sign in.'));
});

afterEach(() => {
  cleanup();
  vi.restoreAllMocks();
});

function signUpForm() {
  render(
    <SessionProvider>
      <AuthScreen />
    </SessionProvider>,
  );
  fireEvent.click(screen.getByRole('button', { name: 'Create an account' }));
  const fill = (email: string, password: string) => {
    fireEvent.input(screen.getByLabelText('Email'), { target: { value: email } });
    fireEvent.input(screen.getByLabelText('Password'), { target: { value: password } });
    fireEvent.click(screen.getByRole('button', { name: 'Create account' }));
  };
  return { fill, error: () => screen.getByRole('alert').textContent };
}

describe('AuthScreen: sign-up says what to change', () => {
  it('checks the email with the server’s own rule before sending anything', async () => {
    const register = vi.spyOn(api, 'register');
    const form = signUpForm();
    form.fill('nobody-at-example', 'correct horse battery');
    await vi.waitFor(() => expect(form.error()).toBe('Enter an email address like name@example.com.'));
    form.fill('', 'correct horse battery');
    await vi.waitFor(() => expect(form.error()).toBe('Enter your email address.'));
    expect(register).not.toHaveBeenCalled();
  });

  it('asks for a longer password', async () => {
    const register = vi.spyOn(api, 'register');
    const form = signUpForm();
    form.fill('ada@example.com', 'short');
    await vi.waitFor(() => expect(form.error()).toMatch(/^Choose a password of at least 8 characters/));
    expect(register).not.toHaveBeenCalled();
  });

  it('shows the server’s sentence when it refuses, and says what to do about an existing account', async () => {
    const register = vi
      .spyOn(api, 'register')
      .mockRejectedValueOnce(new ApiError(409, 'conflict', 'That email is taken.'))
      .mockRejectedValueOnce(
        new ApiError(503, 'unavailable', 'Sign-up is paused for maintenance. Try again in an hour.'),
      );
    const form = signUpForm();
    form.fill('ada@example.com', 'correct horse battery');
    await vi.waitFor(() =>
      expect(form.error()).toBe('An account with this email already exists. Sign in instead.'),
    );
    form.fill('ada@example.com', 'correct horse battery');
    await vi.waitFor(() =>
      expect(form.error()).toBe('Sign-up is paused for maintenance. Try again in an hour.'),
    );
    expect(register).toHaveBeenCalledWith({ email: 'ada@example.com', password: 'correct horse battery' });
  });
});
