// Script of settings.html (runs in the sandboxed renderer, so plain browser JavaScript).
// Fills the form from window.distributeSettings.load(), sends the values back on Save, and shows
// the main process's validation errors beside their fields. Validation itself lives in settings.ts.
'use strict';

const bridge = window.distributeSettings;
const form = document.getElementById('form');

function field(name) {
  return form.elements.namedItem(name);
}

function get(obj, dotted) {
  return dotted.split('.').reduce((o, k) => (o == null ? undefined : o[k]), obj);
}

function fill(values) {
  for (const el of form.elements) {
    if (!el.name) continue;
    const value = get(values, el.name);
    if (el.type === 'checkbox') el.checked = Boolean(value);
    else if (el.name === 'tags') el.value = (value || []).join(' ');
    else el.value = value == null ? '' : String(value);
  }
}

/** The form as a settings object: empty optional fields left out so defaults apply. */
function read() {
  const text = (name) => field(name).value.trim();
  const values = {
    headUrl: text('headUrl'),
    token: text('token'),
    tags: text('tags').split(/[\s,]+/).filter(Boolean),
    notifications: field('notifications').checked,
    autoPause: {
      enabled: field('autoPause.enabled').checked,
      activeWithinMinutes: Number(text('autoPause.activeWithinMinutes')),
      resumeAfterIdleMinutes: Number(text('autoPause.resumeAfterIdleMinutes')),
    },
    startAtLogin: field('startAtLogin').checked,
    trayTheme: field('trayTheme').value,
  };
  for (const optional of ['name', 'user', 'userToken', 'workdir', 'resultsDir', 'gpus']) {
    if (text(optional)) values[optional] = text(optional);
  }
  for (const number of ['cpus', 'memoryGb']) {
    if (text(number)) values[number] = Number(text(number));
  }
  return values;
}

function showErrors(errors) {
  for (const el of document.querySelectorAll('[data-error]')) el.textContent = '';
  for (const { path, message } of errors) {
    // tags.2 → the tags field; unknown paths go to the general line.
    const key = path.startsWith('tags') ? 'tags' : path;
    const target = document.querySelector(`[data-error="${CSS.escape(key)}"]`) || document.getElementById('general-error');
    target.textContent += `${path ? `${path}: ` : ''}${message} `;
  }
}

async function start() {
  const reply = await bridge.load();
  if (!reply) return;
  fill(reply.values);
  showErrors(reply.errors);
  document.getElementById('file').textContent = `Saved in ${reply.settingsFile}`;
}

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const save = document.getElementById('save');
  save.disabled = true;
  try {
    const reply = await bridge.save(read());
    if (reply.ok) bridge.close();
    else showErrors(reply.errors);
  } finally {
    save.disabled = false;
  }
});
document.getElementById('cancel').addEventListener('click', () => bridge.close());

void start();
