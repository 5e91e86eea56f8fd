// Preload of the settings window. Plain CommonJS: sandboxed preloads cannot go through tsx.
// Exposes exactly three calls as window.distributeSettings; the channel names must match
// ipc-contract.ts (a unit test checks).
'use strict';
// eslint-disable-next-line @typescript-eslint/no-require-imports -- sandboxed preloads are CommonJS
const { contextBridge, ipcRenderer } = require('electron');

const CHANNELS = { loadSettings: 'settings:load', saveSettings: 'settings:save', closeSettings: 'settings:close' };

contextBridge.exposeInMainWorld('distributeSettings', {
  load: () => ipcRenderer.invoke(CHANNELS.loadSettings),
  save: (values) => ipcRenderer.invoke(CHANNELS.saveSettings, values),
  close: () => ipcRenderer.send(CHANNELS.closeSettings),
});
