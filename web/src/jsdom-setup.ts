/**
 * What jsdom lacks and every component test needs, set once for the web test project
 * (vitest.config.mts `setupFiles`): `<dialog>` exists without its modal methods.
 */
const dialog = HTMLDialogElement.prototype as { showModal?: () => void; close?: () => void };
if (typeof dialog.showModal !== 'function') {
  dialog.showModal = function (this: HTMLDialogElement) {
    this.setAttribute('open', '');
  };
}
if (typeof dialog.close !== 'function') {
  dialog.close = function (this: HTMLDialogElement) {
    this.removeAttribute('open');
  };
}
