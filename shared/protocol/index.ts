/** The protocol between agents, CLI and head: messages, capabilities, events; routes re-exported from shared/api. */
export * from './messages.ts';
export { decodeFromHead, fastHeadMessage } from './fast-head-messages.ts';
export { decodeFromAgent, fastAgentMessage } from './fast-agent-messages.ts';
export * from './capabilities.ts';
export * from '../api/routes.ts';
export * from './events.ts';
export * from './reconnect.ts';
