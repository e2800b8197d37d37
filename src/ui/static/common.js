/* global document, navigator, Event, HTMLInputElement */
// Small enhancements shared by the screens; every page works without them except file upload and copy.
'use strict';
document.addEventListener('click', (event) => {
  const button = event.target.closest('button.copy');
  if (!button) return;
  const input = document.getElementById(button.dataset.copy);
  input.select();
  const done = () => {
    button.textContent = button.dataset.done;
  };
  if (navigator.clipboard) navigator.clipboard.writeText(input.value).then(done, done);
  else done();
});
document.addEventListener('change', (event) => {
  const input = event.target;
  if (!(input instanceof HTMLInputElement) || input.type !== 'file' || !input.dataset.fills) return;
  const file = input.files && input.files[0];
  if (!file) return;
  file.text().then((text) => {
    const target = document.getElementById(input.dataset.fills);
    target.value = text;
    // As if typed: whatever follows the field (live validation, the template fields) sees the new text.
    target.dispatchEvent(new Event('input', { bubbles: true }));
  });
});
