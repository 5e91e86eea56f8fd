/**
 * Refuse a taken port before a head opens its data folder: a second `npm start` must not touch the
 * running head's state, and must say in one line what to do instead of printing EADDRINUSE's stack.
 */
import net from 'node:net';
import { CliError, EXIT } from './client.ts';

/** Resolves when `host:port` can be listened on (port 0 always can); else a CliError naming `option`. */
export async function assertPortFree(host: string, port: number, option: string): Promise<void> {
  if (port === 0) return;
  const server = net.createServer();
  const error = await new Promise<NodeJS.ErrnoException | null>((resolve) => {
    server.once('error', (err: NodeJS.ErrnoException) => resolve(err));
    server.listen({ host, port, exclusive: true }, () => resolve(null));
  });
  if (!error) {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    return;
  }
  if (error.code === 'EADDRINUSE') {
    throw new CliError(`port ${port} on ${host} is already in use (another distribute head?): choose a free one with ${option} ${port + 1 <= 65535 ? port + 1 : 'N'}`, EXIT.failed);
  }
  if (error.code === 'EACCES') throw new CliError(`not allowed to listen on port ${port} (ports below 1024 need root): choose another with ${option}`, EXIT.failed);
  throw new CliError(`cannot listen on ${host}:${port}: ${error.code ?? error.message}`, EXIT.failed);
}
