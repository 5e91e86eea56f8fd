/**
 * Names that reach a terminal (node names, owners, tags, batch and job names, file paths, the
 * head's error messages) come from other people's machines. Printed raw, an ANSI escape or a
 * carriage return could repaint the screen, hide a line or fake output; a bidi override could
 * reorder what the reader sees. {@link terminalSafe} shows every such character as a visible
 * escape instead (`\x1b`, `\u202e`). Job output itself (`distribute logs`) is passed through: it is
 * the job's own text and colours in it are wanted.
 */

// C0 controls (tab and newline included: a name never needs them), DEL, C1 controls, and the
// Unicode formatting characters that change how text around them is displayed.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/g;

/** `text` with control and display-reordering characters escaped (`\xNN` / `\uNNNN`). */
export function terminalSafe(text: unknown): string {
  return String(text ?? '').replace(UNSAFE, (c) => {
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/**
 * Like {@link terminalSafe} for a multi-line message (an error listing one problem per line): the
 * newlines stay, everything else unsafe is escaped.
 */
export function terminalSafeLines(text: unknown): string {
  return String(text ?? '').split('\n').map(terminalSafe).join('\n');
}
