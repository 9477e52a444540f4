/**
 * The app's one entry file (package.json `main`): every function registers itself on import.
 * `func start` and the local host (dev/host) both load exactly this.
 */
import { app } from '@azure/functions';
import { registerCoreHooks } from './platform/core';

app.setup({ enableHttpStream: true });
registerCoreHooks();

import './auth-register';
import './auth-login';
import './auth-logout';
import './auth-session';
import './auth-providers';
import './auth-oauth-start';
import './auth-oauth-callback';
import './auth-password';
import './account-delete';
import './settings-update';
import './models-list';
import './models-refresh';
import './conversations-list';
import './conversations-create';
import './conversations-get';
import './conversations-update';
import './conversations-delete';
import './messages-create';
import './messages-regenerate';
import './messages-resume';
import './conversations-stop';
import './titles-generate';
import './memory-extract';
import './memories-list';
import './memories-create';
import './memories-update';
import './memories-delete';
import './memories-forget';
import './generations-reap';
import './health-get';
import './billing-packages';
import './billing-checkout';
import './billing-webhook';
import './billing-ledger';
import './billing-usage';
import './holds-sweep';
import './documents-upload';
import './documents-upload-url';
import './documents-list';
import './documents-get';
import './documents-file';
import './documents-delete';
import './documents-arrive';
import './documents-ingest';
import './images-upload';
import './images-get';
import './presets-list';
import './presets-create';
import './presets-update';
import './presets-delete';
import './shares-create';
import './shares-list';
import './shares-delete';
import './shares-public';
import './shares-continue';
import './messages-feedback-put';
import './messages-feedback-delete';
import './messages-feedback-summary';
import './conversations-export';
