/**
 * Shows a desktop notification. The only file that touches node-notifier, kept tiny so everything
 * worth testing lives in notification-rules.ts.
 */
import notifier from 'node-notifier';

/** Show `title`/`message`; resolves when the OS accepted it, or with the error as a value. */
export function showNotification(title: string, message: string, iconPath?: string): Promise<{ ok: true } | { ok: false; error: string }> {
  return new Promise((resolve) => {
    notifier.notify({ title, message, icon: iconPath, appID: 'distribute' }, (err) => {
      resolve(err ? { ok: false, error: err.message } : { ok: true });
    });
  });
}
