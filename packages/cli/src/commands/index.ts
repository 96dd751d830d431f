import type { Command } from "commander";
import type { Io } from "../io.js";
import type { Outcome } from "../run.js";
import { registerAgent } from "./agent.js";
import { registerApply } from "./apply.js";
import { registerConfig } from "./config.js";
import { registerDelete } from "./delete.js";
import { registerDemo } from "./demo.js";
import { registerDescribe } from "./describe.js";
import { registerDev } from "./dev.js";
import { registerEnroll } from "./enroll.js";
import { registerEvents } from "./events.js";
import { registerFlash } from "./flash.js";
import { registerFog } from "./fog.js";
import { registerGet } from "./get.js";
import { registerKb } from "./kb.js";
import { registerKbBackup } from "./kb-backup.js";
import { registerPki } from "./pki.js";
import { registerPlan } from "./plan.js";
import { registerRevoke } from "./revoke.js";
import { registerSchema } from "./schema.js";
import { registerSensors } from "./sensors.js";
import { registerSim } from "./sim.js";
import { registerValidate } from "./validate.js";

/** Adds one command (or group) to the program. Actions report their exit code through `outcome`. */
export type Register = (program: Command, io: Io, outcome: Outcome) => void;

/** Every top-level command, in the order `--help` lists them. Add new commands here. */
export const COMMANDS: Register[] = [
  registerValidate,
  registerPlan,
  registerSchema,
  registerDemo,
  registerDev,
  registerSim,
  registerAgent,
  registerSensors,
  registerFog,
  registerKb,
  registerKbBackup,
  registerApply,
  registerGet,
  registerDescribe,
  registerDelete,
  registerEvents,
  registerConfig,
  registerPki,
  registerEnroll,
  registerRevoke,
  registerFlash,
];
