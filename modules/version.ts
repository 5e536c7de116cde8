/** This agent's own version, sent as `iotoVersion` in every check-in. */
export const AGENT_VERSION = '0.1.0';
