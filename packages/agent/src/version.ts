/** The agent's version, reported in the registration message. Keep in step with package.json. */
export const AGENT_VERSION = "0.1.0";
