/** The protocol between agents, CLI and head: messages, capabilities, routes. */
export * from './messages.ts';
export * from './capabilities.ts';
export * from './routes.ts';
export * from './events.ts';
